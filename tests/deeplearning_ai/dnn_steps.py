"""A deep network built step by step in deeplearning.ai's conventions (written for gradlab's tests).

Samples are columns: A is (features, m), W is (units, features), b is (units, 1). The cost is the mean
over the m examples, so dW and db carry the 1/m and dA_prev does not. The activation helpers return
their input as the cache, and linear_activation_* take the activation's name as a string.
"""

import numpy as np


def sigmoid(Z):
    return 1 / (1 + np.exp(-Z)), Z


def relu(Z):
    return np.maximum(Z, 0), Z


def tanh(Z):
    return np.tanh(Z), Z


def relu_backward(dA, cache):
    return dA * (cache > 0)


def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def tanh_backward(dA, cache):
    return dA * (1 - np.tanh(cache) ** 2)


def linear_forward(A, W, b):
    return W @ A + b, (A, W, b)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    db = dZ.sum(axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "relu":
        A, activation_cache = relu(Z)
    elif activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "tanh":
        A, activation_cache = tanh(Z)
    else:
        raise ValueError(f"unknown activation {activation}")
    return A, (linear_cache, activation_cache)


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    elif activation == "tanh":
        dZ = tanh_backward(dA, activation_cache)
    else:
        raise ValueError(f"unknown activation {activation}")
    return linear_backward(dZ, linear_cache)
