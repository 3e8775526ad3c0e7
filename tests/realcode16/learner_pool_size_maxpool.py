"""A learner's max pooling pair reading one window size, pool_param["pool_size"], and its stride: it pools over
square windows only. The backward below sends each window's gradient to every element of the window, not only
to its maximum (one bug)."""
import numpy as np


def max_pool_forward(x, pool_param):
    size, step = pool_param["pool_size"], pool_param["stride"]
    n, c, h, w = x.shape
    rows, cols = (h - size) // step + 1, (w - size) // step + 1
    out = np.empty((n, c, rows, cols))
    for r in range(rows):
        for q in range(cols):
            out[:, :, r, q] = x[:, :, r * step:r * step + size, q * step:q * step + size].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward(dout, cache):
    x, pool_param = cache
    size, step = pool_param["pool_size"], pool_param["stride"]
    dx = np.zeros_like(x)
    for r in range(dout.shape[2]):
        for q in range(dout.shape[3]):
            dx[:, :, r * step:r * step + size, q * step:q * step + size] += dout[:, :, r, q][:, :, None, None]
    return dx
