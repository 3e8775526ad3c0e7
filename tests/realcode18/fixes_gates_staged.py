"""A learner's GRU step written stage by stage, the gradient of the previous state gathered path by path into dprev_h
(the direct path of next_h's z * prev_h term, the reset product's, the gates'). Correct; the fix tests write one slip
into a copy (dprev_h started at 0 without the direct path; the reset product's path to prev_h left out; the
candidate's recurrent weight gradient taken with prev_h where forward multiplied the weights by r * prev_h)."""
import numpy as np


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    px = x.dot(Wx) + b
    ph = prev_h.dot(Wh[:, :2 * H])
    z = sigmoid(px[:, :H] + ph[:, :H])
    r = sigmoid(px[:, H:2 * H] + ph[:, H:])
    n = np.tanh(px[:, 2 * H:] + (r * prev_h).dot(Wh[:, 2 * H:]))
    next_h = z * prev_h + (1 - z) * n
    return next_h, (x, prev_h, Wx, Wh, z, r, n)


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, z, r, n = cache
    H = prev_h.shape[1]
    dprev_h = dnext_h * z
    g_n = dnext_h * (1 - z) * (1 - n ** 2)
    g_z = dnext_h * (prev_h - n) * z * (1 - z)
    drh = g_n.dot(Wh[:, 2 * H:].T)
    dr = drh * prev_h
    dprev_h += drh * r
    g_r = dr * r * (1 - r)
    g_zr = np.hstack((g_z, g_r))
    g_all = np.hstack((g_zr, g_n))
    dprev_h += g_zr.dot(Wh[:, :2 * H].T)
    dx = g_all.dot(Wx.T)
    dWx = x.T.dot(g_all)
    dWh = np.hstack((prev_h.T.dot(g_zr), (r * prev_h).T.dot(g_n)))
    db = g_all.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
