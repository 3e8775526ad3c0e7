"""Buggy twin: ReLU's backward with its mask inverted."""
import numpy as np


def relu_backward(dA, cache):
    dZ = np.array(dA, copy=True)
    dZ[cache > 0] = 0
    return dZ
