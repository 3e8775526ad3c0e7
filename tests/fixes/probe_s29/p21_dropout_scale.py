import numpy as np


class Dropout:
    def __init__(self, keep=0.8):
        self.keep = keep

    def forward(self, x, train=True):
        if not train:
            return x
        self.mask = (np.random.rand(*x.shape) < self.keep) / self.keep
        return x * self.mask

    def backward(self, grad):
        return grad * self.mask * self.keep
