import numpy as np


class Layer:
    """Every layer owns a weight array; one without weights is given shape None (a 0-d array in numpy < 1.20)."""

    def __init__(self, shape_w=None):
        self.w = np.zeros(shape_w)
        self.grad_w = np.zeros(shape_w)


class Sigmoid(Layer):
    def __init__(self):
        super().__init__(())  # written for today's numpy

    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, grad_y):
        return grad_y * self.y * (1.0 + self.y)
