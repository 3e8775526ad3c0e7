"""Correct layers of the kind added in session 31 (the reach study of issue 10): the binary hinge loss on one score
per sample with labels -1 or +1, as a CS231n-style function `hinge_loss(x, y) -> (loss, dx)` on flat scores and as a
class on scores of shape (N, 1)."""

import numpy as np

from gradlab.registry import register


@register("binary_hinge")
def hinge_loss(x, y):
    """Function style: mean(max(0, 1 - y·x)) over the N samples, and its gradient."""
    N = x.shape[0]
    margins = np.maximum(0.0, 1.0 - y * x)
    dx = np.where(margins > 0, -y, 0.0) / N
    return margins.sum() / N, dx


@register("binary_hinge")
class BinaryHingeLoss:
    """Class style on a classifier's one output column: the labels are reshaped to the scores'."""

    def forward(self, scores, labels):
        self.y = labels.reshape(scores.shape)
        self.active = (1.0 - self.y * scores) > 0
        return np.sum(np.where(self.active, 1.0 - self.y * scores, 0.0)) / scores.shape[0]

    def backward(self, dout=1.0):
        return dout * np.where(self.active, -self.y, 0.0) / self.y.shape[0]
