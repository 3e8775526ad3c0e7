"""A CS231n-style affine layer computed element by element, each element a (1, D) @ (D, 1) product: numpy 1 stored
the one-element result in the element, numpy 2 raises."""
import numpy as np


def affine_forward(x, w, b):
    rows = x.reshape(x.shape[0], -1)
    out = np.zeros((rows.shape[0], w.shape[1]))
    for i in range(rows.shape[0]):
        for j in range(w.shape[1]):
            out[i, j] = rows[i].reshape(1, -1).dot(w[:, j].reshape(-1, 1)) + b[j]
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    rows = x.reshape(x.shape[0], -1)
    return (dout @ w.T).reshape(x.shape), rows.T @ dout, dout.sum(axis=0)
