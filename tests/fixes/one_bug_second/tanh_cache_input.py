"""tanh in function style caching its input; one bug: the derivative treats the cached input as the output."""
import numpy as np


def tanh_forward(x):
    out = np.tanh(x)
    cache = x
    return out, cache


def tanh_backward(dout, cache):
    return dout * (1 - cache ** 2)
