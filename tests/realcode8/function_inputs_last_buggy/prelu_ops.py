"""PReLU as two functions: forward returns the array alone, backward takes forward's arguments and then the
upstream gradient."""

import numpy as np


def prelu_forward(x, alpha=0.2):
    return np.where(x > 0, x, alpha * x)


def prelu_backward(x, alpha, grad_output):
    grad_x = grad_output * np.where(x > 0, 1.0, alpha)
    grad_alpha = np.sum(grad_output * np.where(x > 0, x, 0.0))
    return grad_x, grad_alpha
