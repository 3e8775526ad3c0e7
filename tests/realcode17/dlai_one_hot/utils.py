"""deeplearning.ai's course 2 style (our own file): samples as columns, and a softmax loss whose labels are one-hot
columns Y (n_classes, m)."""
import numpy as np


def linear_forward(A, W, b):
    return W @ A + b, (A, W, b)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def softmax_cross_entropy_loss(Z, Y):
    m = Y.shape[1]
    e = np.exp(Z - np.max(Z, axis=0, keepdims=True))
    A = e / np.sum(e, axis=0, keepdims=True)
    cost = -np.sum(Y * np.log(A)) / m
    return cost, (A - Y) / m
