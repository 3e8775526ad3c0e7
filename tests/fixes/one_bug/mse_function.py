"""A mean-squared-error loss function; one bug: the 2 of d(diff**2) is missing."""
import numpy as np


def mse_loss(pred, target):
    diff = pred - target
    loss = np.mean(diff ** 2)
    grad = diff / diff.size
    return loss, grad
