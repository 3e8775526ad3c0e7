"""A learner's GRU step in CS231n's function style, the gates' pre-activations computed in one product and split:
update gate z and reset gate r (sigmoids), candidate c (tanh). Correct; the fix tests write one slip into a copy (both
sigmoid gates given tanh's derivative, 1 - g ** 2, on their two lines)."""
import numpy as np


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    gx = x @ Wx + b
    gh = prev_h @ Wh[:, :2 * H]
    z = _sigmoid(gx[:, :H] + gh[:, :H])
    r = _sigmoid(gx[:, H:2 * H] + gh[:, H:2 * H])
    c = np.tanh(gx[:, 2 * H:] + (r * prev_h) @ Wh[:, 2 * H:])
    next_h = z * prev_h + (1 - z) * c
    return next_h, (x, prev_h, Wx, Wh, z, r, c)


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, z, r, c = cache
    H = prev_h.shape[1]
    dc_pre = dnext_h * (1 - z) * (1 - c ** 2)
    dz_pre = dnext_h * (prev_h - c) * z * (1 - z)
    d_rh = dc_pre @ Wh[:, 2 * H:].T
    dr_pre = d_rh * prev_h * r * (1 - r)
    dgx = np.concatenate([dz_pre, dr_pre, dc_pre], axis=1)
    dgh = np.concatenate([dz_pre, dr_pre], axis=1)
    dx = dgx @ Wx.T
    dprev_h = dnext_h * z + d_rh * r + dgh @ Wh[:, :2 * H].T
    dWx = x.T @ dgx
    dWh = np.concatenate([prev_h.T @ dgh, (r * prev_h).T @ dc_pre], axis=1)
    db = dgx.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
