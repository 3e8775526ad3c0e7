"""Function style, own helper; one bug: the derivative's factors are s (1 + s)."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_forward(x):
    s = sigmoid(x)
    return s, s


def sigmoid_backward(dout, cache):
    s = cache
    ds = s * (1 + s)
    return dout * ds
