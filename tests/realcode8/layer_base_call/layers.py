"""A small library whose base class records each call's inputs; layers keep their weights as attributes."""

import numpy as np


class Layer:
    def __call__(self, *args):
        self.inputs = args
        return self.forward(*args)


class Dense(Layer):
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class ReLU(Layer):
    def forward(self, x):
        return np.maximum(x, 0.0)

    def backward(self, dout):
        x, = self.inputs  # recorded by Layer.__call__
        return dout * (x > 0)
