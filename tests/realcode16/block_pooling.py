"""Pooling over whole blocks: the window is the stride, and x is reshaped into the blocks (H, W divisible)."""
import numpy as np


class AvgPool2D:
    def __init__(self, size=2):
        self.size = size

    def forward(self, x):
        n, c, h, w = x.shape
        k = self.size
        self.shape = x.shape
        return x.reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5))

    def backward(self, dout):
        k = self.size
        return np.kron(dout, np.ones((1, 1, k, k))) / (k * k)


class MaxPool2D:
    def __init__(self, size=2):
        self.size = size

    def forward(self, x):
        n, c, h, w = x.shape
        k = self.size
        blocks = x.reshape(n, c, h // k, k, w // k, k)
        out = blocks.max(axis=(3, 5))
        self.mask = blocks == out[:, :, :, None, :, None]
        return out

    def backward(self, dout):
        n, c, oh, k, ow, _ = self.mask.shape
        return (self.mask * dout[:, :, :, None, :, None]).reshape(n, c, oh * k, ow * k)
