"""CS231n's vanilla RNN over a whole sequence, beside the character-level one: the course's own signature."""
import numpy as np


def rnn_forward(x, h0, Wx, Wh, b):
    N, T, _ = x.shape
    h, prev = np.zeros((N, T, h0.shape[1])), h0
    for t in range(T):
        prev = np.tanh(x[:, t] @ Wx + prev @ Wh + b)
        h[:, t] = prev
    return h, (x, h0, Wx, Wh, h)


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, h = cache
    N, T, _ = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wx.shape[1])
    dprev = np.zeros_like(h0)
    for t in reversed(range(T)):
        prev = h[:, t - 1] if t > 0 else h0
        draw = (dh[:, t] + dprev) * (1 - h[:, t] ** 2)
        dx[:, t] = draw @ Wx.T
        dWx += x[:, t].T @ draw
        dWh += prev.T @ draw
        db += draw.sum(axis=0)
        dprev = draw @ Wh.T
    return dx, dprev, dWx, dWh, db
