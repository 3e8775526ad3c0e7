"""Buggy variants of the kind added in session 31 (the binary hinge loss): each a copy of its correct counterpart in
`fifteenth_kinds.py` with ONE bug, registered with the bug it has."""

import numpy as np

from gradlab.registry import register


@register("binary_hinge", bug="sign-flip", note="the hinge's slope -y written +y", name="hinge_loss_sign_flipped")
def hinge_loss_sign_flipped(x, y):
    N = x.shape[0]
    margins = np.maximum(0.0, 1.0 - y * x)
    dx = np.where(margins > 0, y, 0.0) / N  # BUG: d(1 - y·x)/dx is -y
    return margins.sum() / N, dx


@register("binary_hinge", bug="missing-batch-mean", note="the loss averages over N, dx is not divided by it")
class BinaryHingeLossNotAveraged:
    def forward(self, scores, labels):
        self.y = labels.reshape(scores.shape)
        self.active = (1.0 - self.y * scores) > 0
        return np.sum(np.where(self.active, 1.0 - self.y * scores, 0.0)) / scores.shape[0]

    def backward(self, dout=1.0):
        return dout * np.where(self.active, -self.y, 0.0)  # BUG: the mean's 1 / N is missing

