import numpy as np


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1.0 - np.tanh(x) ** 2


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(s):
    # given the activation's output, as its callers do: s * (1 - s)
    return s * (1.0 - s)


def relu(x):
    return np.maximum(x, 0.0)


def relu_prime(x):
    return (x > 0).astype(float)
