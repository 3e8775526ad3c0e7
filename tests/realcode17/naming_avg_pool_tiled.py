"""A learner's average pooling over non-overlapping windows (CS231n's function style), written for gradlab's tests:
backward spreads each window's gradient with np.tile, which lays the windows' values side by side, where np.repeat
copies each over its own window (one bug)."""

import numpy as np


def avg_pool_forward(x, pool_param):
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    n, c, h, w = x.shape
    oh, ow = h // ph, w // pw
    out = x[:, :, :oh * ph, :ow * pw].reshape(n, c, oh, ph, ow, pw).mean(axis=(3, 5))
    return out, (x.shape, pool_param)


def avg_pool_backward(dout, cache):
    shape, pool_param = cache
    ph, pw = pool_param["pool_height"], pool_param["pool_width"]
    dx = np.zeros(shape)
    oh, ow = dout.shape[2], dout.shape[3]
    dx[:, :, :oh * ph, :ow * pw] = np.tile(dout, (1, 1, ph, pw)) / (ph * pw)
    return dx
