import numpy as np


def tanh_gate_forward(x):
    t = np.tanh(0.7978845608 * (x + 0.044715 * x**3))
    return 0.5 * x * (1 + t), (x, t)


def tanh_gate_backward(dout, cache):
    x, t = cache
    return dout * 0.5 * (1 + t)


# gradlab: kind=generic, x=(N, D), W=(D, M), b=(M,)
def scaled_affine_forward(x, W, b):
    return 2.0 * (x @ W) + b, (x, W)


def scaled_affine_backward(dout, cache):
    x, W = cache
    return 2.0 * dout @ W.T, 2.0 * x.T @ dout, dout.sum(axis=0)


def bilinear_forward(x, y, W):
    return np.einsum("ni,ij,nj->n", x, W, y), (x, y, W)


def bilinear_backward(dout, cache):
    return None
