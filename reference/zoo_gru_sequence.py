"""Buggy GRUs over a sequence: each a copy of its correct counterpart in `gru_sequence.py` with ONE bug, registered
with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register_pair


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    gates = sigmoid(x @ Wx[:, :2 * H] + prev_h @ Wh[:, :2 * H] + b[:2 * H])
    z, r = gates[:, :H], gates[:, H:]
    candidate = np.tanh(x @ Wx[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:] + b[2 * H:])
    next_h = (1 - z) * prev_h + z * candidate
    return next_h, (x, prev_h, Wx, Wh, z, r, candidate)


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, z, r, candidate = cache
    H = prev_h.shape[1]
    dprev_h = dnext_h * (1 - z)
    da_candidate = dnext_h * z * (1 - candidate ** 2)
    da_z = dnext_h * (candidate - prev_h) * z * (1 - z)
    d_reset_h = da_candidate @ Wh[:, 2 * H:].T
    da_r = d_reset_h * prev_h * r * (1 - r)
    dprev_h += d_reset_h * r
    da = np.concatenate([da_z, da_r, da_candidate], axis=1)
    dx = da @ Wx.T
    dprev_h += da[:, :2 * H] @ Wh[:, :2 * H].T
    dWx = x.T @ da
    dWh = np.concatenate([prev_h.T @ da[:, :2 * H], (r * prev_h).T @ da_candidate], axis=1)
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def gru_forward(x, h0, Wx, Wh, b):
    h, caches = h0, []
    hs = np.zeros((x.shape[0], x.shape[1], h0.shape[1]))
    for t in range(x.shape[1]):
        h, step = gru_step_forward(x[:, t], h, Wx, Wh, b)
        hs[:, t] = h
        caches.append(step)
    return hs, caches


def gru_backward_overwrites_dwh(dh, cache):
    x_step, _, Wx, Wh = cache[0][:4]
    N, T, _ = dh.shape
    dx = np.zeros((N, T, x_step.shape[1]))
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wx.shape[1])
    dprev_h = np.zeros((N, Wh.shape[0]))
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = gru_step_backward(dh[:, t] + dprev_h, cache[t])
        dWx += dWx_t
        dWh = dWh_t  # BUG: Wh is shared by every step: its gradient sums them (+=)
        db += db_t
    return dx, dprev_h, dWx, dWh, db


register_pair(gru_forward, gru_backward_overwrites_dwh, kind="gru", bug="dropped-term",
              name="gru_overwrites_dwh", note="dWh = dWh_t where += belongs: one step's share")
