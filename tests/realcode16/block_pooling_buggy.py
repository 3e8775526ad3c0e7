"""(buggy) Pooling over whole blocks: the window is the stride, and x is reshaped into the blocks (H, W divisible)."""
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
        return np.kron(dout, np.ones((1, 1, k, k))) / k  # one axis of the window forgotten
