import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    N = x.shape[0]
    xr = x.reshape(N, -1)
    dw = np.zeros_like(w)
    for i in range(N):
        dw = np.outer(xr[i], dout[i])
    db = dout.sum(axis=0)
    dx = dout.dot(w.T).reshape(x.shape)
    return dx, dw, db
