"""ReLU's backward, from the cache relu returned."""
import numpy as np


def relu_backward(dA, cache):
    dZ = np.array(dA, copy=True)
    dZ[cache <= 0] = 0
    return dZ
