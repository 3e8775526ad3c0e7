"""The forward half of a deep-network exercise exported in sections: samples as columns, W (out, in), as that
course writes it; the backward half is in backward_propagation.py beside it."""
import numpy as np


def linear_forward(A, W, b):
    Z = W @ A + b
    return Z, (A, W, b)


def sigmoid_forward(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, A
