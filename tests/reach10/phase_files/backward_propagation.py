"""The backward half of the exercise: the course's linear backward averages dW and db over the m examples."""
import numpy as np


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def sigmoid_backward(dA, cache):
    return dA * cache * (1 - cache)
