import numpy as np


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    # the mask is applied to the cached input in place
    x = cache
    x *= (x > 0)
    dx = dout * (x > 0)
    return dx
