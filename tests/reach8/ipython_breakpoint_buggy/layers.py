"""Buggy twin: Affine and ReLU in the function style, with an IPython breakpoint import left at the top."""
import numpy as np
from IPython import embed  # noqa: F401  (used while debugging)


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    flat = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), flat.T @ dout / x.shape[0], dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return 2 * dout * (cache > 0)
