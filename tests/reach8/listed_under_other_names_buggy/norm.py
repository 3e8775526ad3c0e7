"""Buggy twin (dbeta a mean): a layer normalisation that keeps its scale and shift as self.g and self.b, listed in params, read by forward."""
import numpy as np


class LayerNorm:
    def __init__(self, d, eps=1e-6):
        self.eps = eps
        self.g = np.ones(d)
        self.b = np.zeros(d)
        self.params = [self.g, self.b]
        self.grads = [np.zeros_like(self.g), np.zeros_like(self.b)]

    def forward(self, x):
        centred = x - x.mean(axis=-1, keepdims=True)
        self.inv = 1.0 / np.sqrt((centred ** 2).mean(axis=-1, keepdims=True) + self.eps)
        self.xh = centred * self.inv
        return self.xh * self.g + self.b

    def backward(self, dout):
        self.grads[0][...] = (dout * self.xh).sum(axis=0)
        self.grads[1][...] = dout.mean(axis=0)
        d = dout * self.g
        return self.inv * (d - d.mean(axis=-1, keepdims=True) - self.xh * (d * self.xh).mean(axis=-1, keepdims=True))
