"""A learner's 1-D transposed convolution (PyTorch's weight layout, CS231n's function style), written for gradlab's
tests: backward reads each input position's segment of the output gradient at i where forward painted it at
i * stride (one bug: the stride left out of backward's read)."""

import numpy as np


def conv_transpose1d_forward(x, w, b, conv_param):
    s, p = conv_param["stride"], conv_param["pad"]
    N, C, L = x.shape
    F, k = w.shape[1], w.shape[2]
    full = np.zeros((N, F, (L - 1) * s + k))
    for i in range(L):
        full[:, :, i * s:i * s + k] += np.tensordot(x[:, :, i], w, axes=(1, 0))
    out = full[:, :, p:full.shape[2] - p] + b[:, None]
    return out, (x, w, s, p, full.shape)


def conv_transpose1d_backward(dout, cache):
    x, w, s, p, shape = cache
    k = w.shape[2]
    dfull = np.zeros(shape)
    dfull[:, :, p:shape[2] - p] = dout
    dx = np.zeros_like(x)
    dw = np.zeros_like(w)
    for i in range(x.shape[2]):
        seg = dfull[:, :, i:i + k]
        dx[:, :, i] = np.tensordot(seg, w, axes=([1, 2], [1, 2]))
        dw += np.tensordot(x[:, :, i], seg, axes=(0, 0))
    return dx, dw, dout.sum(axis=(0, 2))
