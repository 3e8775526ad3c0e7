import numpy as np


class Sigmoid:
    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, grad, lr=0.01):
        return -grad * self.y * (1.0 - self.y)
