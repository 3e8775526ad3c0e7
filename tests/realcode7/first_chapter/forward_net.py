import numpy as np


class Sigmoid:
    def __init__(self):
        self.params = []

    def forward(self, x):
        return 1 / (1 + np.exp(-x))

    def backward(self):
        pass


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]

    def forward(self, x):
        W, b = self.params
        return np.dot(x, W) + b

    def backward(self):
        """To be written in the next chapter."""


class Tanh:
    """Its backward forgot the upstream gradient: written code that crashes, not a stub."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self):
        return 1.0 - self.out ** 2
