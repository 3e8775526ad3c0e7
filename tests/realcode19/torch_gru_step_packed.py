"""One GRU step in PyTorch's equations with the gates packed side by side, in the CS231n function convention:
Wx (D, 3H), Wh (H, 3H), b (3H,) on the input side; the gates in the order z, r, n (the reset gate applied to
prev_h @ Wh's candidate block)."""
import numpy as np


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def gru_step_forward(x, prev_h, Wx, Wh, b):
    H = prev_h.shape[1]
    ax, ah = x @ Wx + b, prev_h @ Wh
    z = _sig(ax[:, :H] + ah[:, :H])
    r = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])
    hn = ah[:, 2 * H:]
    n = np.tanh(ax[:, 2 * H:] + r * hn)
    next_h = (1 - z) * n + z * prev_h
    return next_h, (x, prev_h, Wx, Wh, z, r, n, hn)


def gru_step_backward(dnext_h, cache):
    x, prev_h, Wx, Wh, z, r, n, hn = cache
    dz = dnext_h * (prev_h - n)
    da_n = dnext_h * (1 - z) * (1 - n ** 2)
    dr = da_n * hn
    dhn = da_n * r
    da_z = dz * z * (1 - z)
    da_r = dr * r * (1 - r)
    dax = np.hstack((da_z, da_r, da_n))
    dah = np.hstack((da_z, da_r, dhn))
    dx = dax @ Wx.T
    dprev_h = dnext_h * z + dah @ Wh.T
    dWx = x.T @ dax
    dWh = prev_h.T @ dah
    db = dax.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db
