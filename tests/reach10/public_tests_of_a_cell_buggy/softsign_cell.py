"""A pair of a name gradlab knows no kind for, checked as a generic function of one input."""
import numpy as np


def softsign_cell_forward(x):
    return x / (1 + np.abs(x)), x


def softsign_cell_backward(dout, cache):
    return dout / (1 + np.abs(cache))
