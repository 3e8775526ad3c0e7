import numpy as np


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1.0 - np.tanh(x)  # BUG: the square is missing


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(s):
    return s * (1.0 + s)  # BUG: 1 + s where 1 - s belongs


def relu(x):
    return np.maximum(x, 0.0)


def relu_prime(x):
    return (x < 0).astype(float)  # BUG: the mask inverted
