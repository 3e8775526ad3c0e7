import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class SiLU:
    def forward(self, z):
        self.z = z
        self.sig = sigmoid(z)
        return z * self.sig

    def backward(self, grad):
        return grad * self.sig
