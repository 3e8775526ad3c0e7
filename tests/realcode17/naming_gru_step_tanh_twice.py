"""A learner's GRU step in CS231n's function style, the reset gate applied after the hidden matrix (as PyTorch's GRU
does), written for gradlab's tests: backward takes the candidate's derivative as 1 - tanh(cand)**2, where cand
already is tanh's output (one bug: one tanh too many)."""

import numpy as np


def _sigmoid(v):
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    xs = x @ Wx + b
    hs = prev_h @ Wh
    u = _sigmoid(xs[:, :H] + hs[:, :H])
    r = _sigmoid(xs[:, H:2 * H] + hs[:, H:2 * H])
    cand = np.tanh(xs[:, 2 * H:] + r * hs[:, 2 * H:])
    next_h = u * prev_h + (1.0 - u) * cand
    return next_h, (x, prev_h, Wx, Wh, hs, u, r, cand)


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, hs, u, r, cand = cache
    dcand = dnext_h * (1.0 - u) * (1.0 - np.tanh(cand) ** 2)
    du = dnext_h * (prev_h - cand) * u * (1.0 - u)
    dr = dcand * hs[:, 2 * prev_h.shape[1]:] * r * (1.0 - r)
    dxs = np.concatenate([du, dr, dcand], axis=1)
    dhs = np.concatenate([du, dr, dcand * r], axis=1)
    dx = dxs @ Wx.T
    dprev_h = dnext_h * u + dhs @ Wh.T
    return dx, dprev_h, x.T @ dxs, prev_h.T @ dhs, dxs.sum(axis=0)
