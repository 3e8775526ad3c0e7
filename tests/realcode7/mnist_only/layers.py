"""Layers written for MNIST alone: the input size is a number in the code."""
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x.reshape(-1, 784)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class Sigmoid:
    """Its reshape is computed from the data: a wrong size here is the code's own."""

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x.reshape(x.shape[0] + 1, -1)))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)
