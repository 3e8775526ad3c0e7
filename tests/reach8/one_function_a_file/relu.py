"""ReLU that returns its activation and what its backward needs."""
import numpy as np


def relu(Z):
    return np.maximum(0, Z), Z
