import numpy as np


def softmax_loss_vectorized(W, X, y, reg):
    """The cross-entropy summed over the batch (not averaged), plus one penalty reg * ||W||^2 for the batch."""
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(X.shape[0])
    loss = -np.log(p[rows, y]).sum() + reg * np.sum(W * W)
    p[rows, y] -= 1
    dW = X.T @ p + 2 * reg * W
    return loss, dW
