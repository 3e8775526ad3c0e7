"""Losses that leave the reduction to the training loop: forward returns one loss per sample."""
import numpy as np


class MSELoss:
    """The loop takes the mean of the losses; backward is the gradient of that mean."""

    def forward(self, y, t):
        self.y, self.t = y, t
        return 0.5 * np.sum((y - t) ** 2, axis=1)

    def backward(self):
        return (self.y - self.t) / self.y.shape[0]


class SquaredError:
    """The loop sums the losses; backward is the gradient of that sum."""

    def forward(self, y, t):
        self.y, self.t = y, t
        return 0.5 * np.sum((y - t) ** 2, axis=1)

    def backward(self):
        return self.y - self.t
