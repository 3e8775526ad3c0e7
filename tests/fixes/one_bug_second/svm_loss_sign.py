"""A multiclass SVM loss in the CS231n shape; one bug: the correct class's count is added, not subtracted."""
import numpy as np


def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, None] + 1.0)
    margins[np.arange(N), y] = 0
    loss = margins.sum() / N
    num_pos = (margins > 0).sum(axis=1)
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(N), y] += num_pos
    dx /= N
    return loss, dx
