"""The activation functions tinynet's layers share."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
