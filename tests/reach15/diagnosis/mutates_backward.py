import numpy as np


class Relu:
    """A ReLU whose backward zeroes the stored input itself (the input the caller handed forward)."""

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        self.x[self.x <= 0] = 0
        return dout * (self.x > 0)
