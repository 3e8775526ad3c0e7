"""ReLU in function style with np.where; one bug: the two branches of the derivative are swapped."""
import numpy as np


def relu_forward(x):
    out = np.where(x > 0, x, 0.0)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout * np.where(x > 0, 0.0, 1.0)
    return dx
