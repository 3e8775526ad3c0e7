import numpy as np

from losses.base import Cost


def _sigmoid_slope(z):
    s = 1.0 / (1.0 + np.exp(-z))
    return s * (1.0 - s)


class SquaredError(Cost):
    def __call__(self, a, y):
        return 0.5 * float(np.sum((a - y) ** 2))

    def delta(self, a, y, z):
        return (a - y) * _sigmoid_slope(z)


class LogLoss(Cost):
    def __call__(self, a, y):
        return float(np.sum(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    def delta(self, a, y, z):
        return a - y
