"""A learner's recurrent layers as CS231n's functions: a vanilla RNN and an LSTM over whole sequences, each backward
walking time from the last step back and handing the state's gradients to the step before. Correct; the fix tests
write one slip into a copy."""
import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    steps = x.shape[1]
    hs, caches, h = [], [], h0
    for k in range(steps):
        h, c = rnn_step_forward(x[:, k, :], h, Wx, Wh, b)
        hs.append(h)
        caches.append(c)
    return np.stack(hs, axis=1), caches


def rnn_backward(dh, cache):
    steps = dh.shape[1]
    dx = np.zeros(dh.shape[:2] + (cache[0][0].shape[1],))
    dWx, dWh, db = np.zeros_like(cache[0][2]), np.zeros_like(cache[0][3]), np.zeros(dh.shape[2])
    dh_carry = np.zeros_like(dh[:, 0, :])
    for k in reversed(range(steps)):
        dx[:, k, :], dh_carry, gWx, gWh, gb = rnn_step_backward(dh[:, k, :] + dh_carry, cache[k])
        dWx += gWx
        dWh += gWh
        db += gb
    return dx, dh_carry, dWx, dWh, db


def _sigmoid(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, g = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tc = np.tanh(next_c)
    return o * tc, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tc)


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tc = cache
    dc = dnext_c + dnext_h * o * (1.0 - tc ** 2)
    da = np.hstack((dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * tc * o * (1 - o),
                    dc * i * (1 - g ** 2)))
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    h, c = h0, np.zeros_like(h0)
    hs, caches = [], []
    for k in range(x.shape[1]):
        h, c, step_cache = lstm_step_forward(x[:, k, :], h, c, Wx, Wh, b)
        hs.append(h)
        caches.append(step_cache)
    return np.stack(hs, axis=1), caches


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    dx = np.zeros((N, T, cache[0][0].shape[1]))
    dWx, dWh, db = np.zeros_like(cache[0][3]), np.zeros_like(cache[0][4]), np.zeros(4 * H)
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for k in reversed(range(T)):
        grads = lstm_step_backward(dh[:, k, :] + dh_next, dc_next, cache[k])
        dx[:, k, :], dh_next, dc_next, gWx, gWh, gb = grads
        dWx += gWx
        dWh += gWh
        db += gb
    return dx, dh_next, dWx, dWh, db
