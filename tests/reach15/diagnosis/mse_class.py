import numpy as np


class MSELoss:
    """A torch-like mean squared error over every element, whose backward forgets the mean."""

    def __call__(self, pred, target):
        self.pred, self.target = pred, target
        return np.mean((pred - target) ** 2)

    def backward(self):
        return 2 * (self.pred - self.target)
