"""Activations with their derivative beside them, each derivative written in terms of the activation's output
though its argument is named x (written for gradlab's tests, in the "network from scratch" style)."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_derivative(x):
    # x is what sigmoid returned: s' = s (1 - s)
    return x * (1.0 - x)


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    # x is what tanh returned: t' = 1 - t^2
    return 1.0 - x ** 2
