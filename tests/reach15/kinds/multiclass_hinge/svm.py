"""The multiclass hinge under the same names, on scores (N, C) with class indices: still the SVM loss."""
import numpy as np


def hinge_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(N), y] = 0
    counts = (margins > 0).astype(float)
    counts[np.arange(N), y] = -counts.sum(axis=1)
    return margins.sum() / N, counts / N


class HingeLoss:
    def forward(self, scores, y):
        self.scores, self.y = scores, y
        N = scores.shape[0]
        self.margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
        self.margins[np.arange(N), y] = 0
        return self.margins.sum() / N

    def backward(self, dout=1.0):
        N = self.scores.shape[0]
        d = (self.margins > 0).astype(float)
        d[np.arange(N), self.y] -= d.sum(axis=1)
        return dout * d / N
