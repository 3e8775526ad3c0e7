import numpy as np

from ..layers import affine_backward, affine_forward


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    return np.maximum(a, 0), (fc_cache, a)


def affine_relu_backward(dout, cache):
    fc_cache, a = cache
    return affine_backward(dout * (a > 0), fc_cache)
