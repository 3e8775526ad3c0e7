"""Layers that check their input against what they were built for and raise, as a library's layers do."""
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        if x.shape[0] > 3:
            raise ValueError(f"built for batches of at most 3, got {x.shape[0]}")
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class Sigmoid:
    def forward(self, x):
        if x.ndim != 5:
            raise ValueError(f"expects a 5-D volume, got shape {x.shape}")
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1 - self.out)


class Tanh:
    """Its own raise is not a refusal of the input: it fires on every call, a bug of written code."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        raise ValueError("backward not finished")
