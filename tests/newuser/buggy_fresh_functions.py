# Buggy function-style layers in learners' own styles (explicit loops, other gate orders), one
# mistake each; written for gradlab's new-user tests, not taken from any course.
import numpy as np


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for row in range(H_out):
                for col in range(W_out):
                    top, left = row * stride, col * stride
                    patch = padded[n, :, top:top + HH, left:left + WW]
                    out[n, f, row, col] = np.sum(patch * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    # BUG: dropped-term  (dx_pad patch assigned with = where overlapping patches must add up)
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(padded)
    dw = np.zeros_like(w)
    db = np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            db[f] += np.sum(dout[n, f])
            for row in range(H_out):
                for col in range(W_out):
                    top, left = row * stride, col * stride
                    patch = padded[n, :, top:top + HH, left:left + WW]
                    dw[f] += patch * dout[n, f, row, col]
                    dx_pad[n, :, top:top + HH, left:left + WW] = w[f] * dout[n, f, row, col]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    # gates stacked as input, forget, cell candidate, output (not CS231n's i, f, o, g)
    H = prev_h.shape[1]
    z = x @ Wx + prev_h @ Wh + b
    i = _sigmoid(z[:, :H])
    f = _sigmoid(z[:, H:2 * H])
    g = np.tanh(z[:, 2 * H:3 * H])
    o = _sigmoid(z[:, 3 * H:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    # BUG: dropped-term  (dprev_c passes the cell's gradient on without the forget gate's factor f)
    x, prev_h, prev_c, Wx, Wh, i, f, g, o, next_c = cache
    tc = np.tanh(next_c)
    dc = dnext_c + dnext_h * o * (1.0 - tc ** 2)
    di, df, dg, do = dc * g, dc * prev_c, dc * i, dnext_h * tc
    dz = np.hstack([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)])
    dx = dz @ Wx.T
    dprev_h = dz @ Wh.T
    dprev_c = dc
    return dx, dprev_h, dprev_c, x.T @ dz, prev_h.T @ dz, dz.sum(axis=0)


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    # BUG: transposed  (dWh = dtanh.T @ prev_h: the product in the wrong order, Wh's transpose)
    x, prev_h, Wx, Wh, next_h = cache
    dtanh = dnext_h * (1.0 - next_h ** 2)
    return dtanh @ Wx.T, dtanh @ Wh.T, x.T @ dtanh, dtanh.T @ prev_h, dtanh.sum(axis=0)


def leaky_relu_forward(x):
    out = np.where(x > 0, x, 0.1 * x)
    return out, x


def leaky_relu_backward(dout, cache):
    # BUG: dropped-term  (the slope's side forgotten: negative inputs get no gradient, as in a plain ReLU)
    x = cache
    return dout * (x > 0)


def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return flat @ w + b, (x, w, b)


def affine_backward(dout, cache):
    # BUG: extra-batch-mean  (db averaged over the batch: np.mean divides by N where the sum belongs)
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(len(x), -1).T @ dout
    db = dout.mean(axis=0)
    return dx, dw, db
