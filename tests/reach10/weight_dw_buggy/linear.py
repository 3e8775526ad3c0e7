"""A fully connected layer kept as self.weight / self.bias, its gradients as self.dx, self.dw, self.db (the
convention of Georgia Tech's CS 7643 assignments: backward returns nothing)."""
import numpy as np


class Linear:
    def __init__(self, in_dim, out_dim):
        rng = np.random.default_rng(7)
        self.weight = 0.01 * rng.standard_normal((in_dim, out_dim))
        self.bias = np.zeros(out_dim)
        self.cache = None
        self.dx = self.dw = self.db = None

    def forward(self, x):
        self.cache = x
        return x.reshape(x.shape[0], -1) @ self.weight + self.bias

    def backward(self, dout):
        x = self.cache
        flat = x.reshape(x.shape[0], -1)
        self.dx = (dout @ self.weight.T).reshape(x.shape)
        self.dw = flat.T @ dout / x.shape[0]
        self.db = dout.sum(axis=0)
