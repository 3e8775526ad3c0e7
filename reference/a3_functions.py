"""Correct recurrent layers in the manner of CS231n assignment 3 (function style).

`rnn_step_*`, `rnn_*`, `lstm_step_*`, `lstm_*` (gates i, f, o, g in the 4H columns),
`word_embedding_*` (backward returns dW alone), `temporal_affine_*` and
`temporal_softmax_loss(x, y, mask)`. Each forward returns `(out, cache)` (an LSTM step
`(next_h, next_c, cache)`); backward returns the gradient of every input in argument order.
Intermediate arrays take the inputs' dtype, so a complex-step check runs through them.
"""

import numpy as np

from gradlab.registry import register, register_pair


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]), dtype=np.result_type(x, h0, Wx, Wh, b))
    caches = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(step_cache)
    return h, caches


def rnn_backward(dh, cache):
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        # the hidden state feeds both the output at t and the step t+1
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o = _sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]), _sigmoid(a[:, 2 * H:3 * H])
    g = np.tanh(a[:, 3 * H:])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    # next_c reaches the loss directly and through next_h
    dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)
    da = np.hstack([dc * g * i * (1 - i), dc * prev_c * f * (1 - f), dnext_h * tanh_c * o * (1 - o),
                    dc * i * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    dtype = np.result_type(x, h0, Wx, Wh, b)
    h = np.zeros((N, T, h0.shape[1]), dtype=dtype)
    prev_h, prev_c = h0, np.zeros(h0.shape, dtype=dtype)
    caches = []
    for t in range(T):
        prev_h, prev_c, step_cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        caches.append(step_cache)
    return h, caches


def lstm_backward(dh, cache):
    N, T, H = dh.shape
    x0, _, _, Wx, Wh = cache[0][:5]
    dx = np.zeros((N, T, x0.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(4 * H)
    dprev_h, dprev_c = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dprev_h, dprev_c, cache[t])
        dWx += dWx_t
        dWh += dWh_t
        db += db_t
    return dx, dprev_h, dWx, dWh, db


def word_embedding_forward(x, W):
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    x, W_shape = cache
    dW = np.zeros(W_shape)
    np.add.at(dW, x, dout)  # a word used twice collects both gradients
    return dW


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    out = (x.reshape(N * T, D) @ w + b).reshape(N, T, -1)
    return out, (x, w)


def temporal_affine_backward(dout, cache):
    x, w = cache
    N, T, D = x.shape
    d2 = dout.reshape(N * T, -1)
    return (d2 @ w.T).reshape(N, T, D), x.reshape(N * T, D).T @ d2, d2.sum(axis=0)


@register("temporal_softmax_loss")
def temporal_softmax_loss(x, y, mask, verbose=False):
    """Cross-entropy at the steps where mask is on, summed over time, averaged over the N samples."""
    N, T, V = x.shape
    shifted = x - x.max(axis=2, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
    picked = np.take_along_axis(log_p, y[..., None], axis=2)[..., 0]
    loss = -np.sum(mask * picked) / N
    dx = np.exp(log_p)
    np.put_along_axis(dx, y[..., None], np.take_along_axis(dx, y[..., None], axis=2) - 1, axis=2)
    dx *= mask[..., None] / N
    return loss, dx


register_pair(rnn_step_forward, rnn_step_backward, kind="rnn_step")
register_pair(rnn_forward, rnn_backward, kind="rnn")
register_pair(lstm_step_forward, lstm_step_backward, kind="lstm_step")
register_pair(lstm_forward, lstm_backward, kind="lstm")
register_pair(word_embedding_forward, word_embedding_backward, kind="embedding")
register_pair(temporal_affine_forward, temporal_affine_backward, kind="temporal_affine")
