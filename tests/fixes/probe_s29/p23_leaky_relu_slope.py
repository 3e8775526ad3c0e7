import numpy as np


class LeakyReLU:
    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, grad):
        return np.where(self.x > 0, grad, 0.01 * grad)
