"""The same losses, each with one bug."""
import numpy as np


class MSELoss:
    def forward(self, y, t):
        self.y, self.t = y, t
        return 0.5 * np.sum((y - t) ** 2, axis=1)

    def backward(self):
        return (self.y - self.t) / self.y.shape[0] ** 2  # divided by N once too often even for the mean
