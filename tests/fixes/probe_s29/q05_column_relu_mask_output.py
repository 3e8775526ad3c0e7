import numpy as np


def relu_forward(Z):
    A = np.maximum(0, Z)
    cache = Z
    return A, cache


def relu_backward(dA, cache):
    Z = cache
    dZ = dA * (Z < 0)
    return dZ
