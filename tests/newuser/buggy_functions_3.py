# Buggy CS231n-style softmax: one mistake.
import numpy as np


def softmax_loss(x, y):
    # BUG: couples-samples  (normalised over the whole batch, not per row)
    N = x.shape[0]
    shifted = x - np.max(x)
    exp_scores = np.exp(shifted)
    probs = exp_scores / np.sum(exp_scores)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
