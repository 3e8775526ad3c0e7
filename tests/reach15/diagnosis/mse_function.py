import numpy as np


def mse_loss(x, y):
    """Mean squared error over every element, with its gradient divided by the element count twice."""
    diff = x - y
    loss = np.mean(diff ** 2)
    dx = 2 * diff / diff.size / diff.size
    return loss, dx
