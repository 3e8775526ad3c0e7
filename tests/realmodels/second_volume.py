"""A whole model written as the textbook's second volume writes them: layers keeping params/grads lists, the
model collecting them, forward(x, t) returning the loss and backward(dout=1)."""

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ self.params[0].T


class TinyClassifier:
    def __init__(self, input_size, output_size):
        self.layer = Affine(0.01 * np.random.randn(input_size, output_size), np.zeros(output_size))
        self.params, self.grads = [], []
        self.params += self.layer.params
        self.grads += self.layer.grads

    def forward(self, x, t):
        s = self.layer.forward(x)
        self.p = np.exp(s - s.max(axis=1, keepdims=True))
        self.p /= self.p.sum(axis=1, keepdims=True)
        self.t = t
        return -np.log(self.p[np.arange(len(t)), t]).mean()

    def backward(self, dout=1):
        ds = self.p.copy()
        ds[np.arange(len(self.t)), self.t] -= 1
        return self.layer.backward(dout * ds / len(self.t))
