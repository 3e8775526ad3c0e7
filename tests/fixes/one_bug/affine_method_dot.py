"""CS231n-style functions written with method-call dot; one bug: w is not transposed for dx."""
import numpy as np


def affine_forward(x, w, b):
    flat = x.reshape(x.shape[0], -1)
    out = flat.dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    x, w, b = cache
    flat = x.reshape(x.shape[0], -1)
    dx = dout.dot(w).reshape(x.shape)
    dw = flat.T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db
