import numpy as np


class Pooling:
    """(N, C, H, W), its output height computed wrong (the pad subtracted twice): a crash of its own."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        out = np.zeros((N, C, (H - self.pool_h - 2) // self.stride + 1, (W - self.pool_w) // self.stride + 1))
        return out

    def backward(self, dout):
        return np.zeros((1,))
