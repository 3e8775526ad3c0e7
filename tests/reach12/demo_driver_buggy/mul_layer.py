import numpy as np


def scale_forward(x):
    """A function of one array, checked as a generic pair at (N, D): its backward forgets the factor 2."""
    return 2.0 * np.sin(x), x


def scale_backward(dout, cache):
    return dout * np.cos(cache)
