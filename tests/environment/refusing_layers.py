"""A layer whose forward refuses every geometry gradlab draws, by design."""
import numpy as np


def affine_forward(x, w, b):
    assert x.shape[0] > 1000, "needs a big batch"
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)
