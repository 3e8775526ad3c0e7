"""Layers in the textbook's class style, a helper module the textbook nets next to it import."""

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class SoftmaxWithLoss:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        shifted = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        self.t = t if t.ndim == 1 else t.argmax(axis=1)
        N = x.shape[0]
        return -np.log(self.y[np.arange(N), self.t] + 1e-7).mean()

    def backward(self, dout=1):
        N = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(N), self.t] -= 1
        return dout * dx / N
