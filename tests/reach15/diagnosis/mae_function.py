import numpy as np


def mae_loss(x, y):
    """Mean absolute error over the batch; the gradient takes the sign of the targets' negation, not the residual."""
    N = x.shape[0]
    loss = np.sum(np.abs(x - y)) / N
    dx = np.sign(-y) / N
    return loss, dx
