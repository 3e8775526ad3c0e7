"""The same activations with each derivative wrong (the buggy twin; written for gradlab's tests): 1 + s, and
1 - t with its square missing."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_derivative(x):
    # x is what sigmoid returned: s' = s (1 - s)
    return x * (1.0 + x)


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    # x is what tanh returned: t' = 1 - t^2
    return 1.0 - x
