"""A binary hinge loss on one score per sample, labels -1 or +1, in three manners: a CS231n-style function on flat
scores, the same on a column of scores, and a class."""
import numpy as np


def hinge_loss(x, y):
    s = x.reshape(-1)
    N = s.shape[0]
    margins = np.maximum(0, 1 - y.reshape(-1) * s)
    dx = np.where(margins > 0, y.reshape(-1), 0.0) / N
    return margins.sum() / N, dx.reshape(x.shape)


def binary_hinge_loss(scores, labels):
    out = scores[:, 0]  # one output column, as a binary classifier's last Dense(1) gives
    loss = np.mean(np.maximum(0, 1 - labels * out))
    dscores = np.zeros_like(scores)
    dscores[:, 0] = -labels * (labels * out < 1)
    return loss, dscores


class HingeLoss:
    def forward(self, y_pred, y_true):
        self.y_pred, self.y_true = y_pred, y_true
        return np.maximum(0.0, 1.0 - y_true * y_pred).mean()

    def backward(self):
        slope = -self.y_true * (self.y_true * self.y_pred < 1.0)
        return slope / self.y_pred.shape[0] ** 2
