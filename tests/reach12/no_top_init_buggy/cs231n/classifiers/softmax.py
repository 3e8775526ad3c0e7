import numpy as np

from ..helpers import stable_log_softmax


def softmax_loss_vectorized(W, X, y, reg):
    """Mean cross-entropy of a linear classifier plus reg * ||W||^2, and its gradient."""
    N = X.shape[0]
    log_p = stable_log_softmax(X @ W)
    loss = -log_p[np.arange(N), y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    dW = X.T @ dscores / N + reg * W
    return loss, dW
