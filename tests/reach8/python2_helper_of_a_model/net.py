"""A CS231n-style model whose folder still holds a Python 2 helper it imports."""
import numpy as np

from old_helpers import report


class TwoLayerNet:
    def __init__(self, input_dim=4, hidden_dim=8, num_classes=3, weight_scale=1e-3, reg=0.0):
        self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": weight_scale * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        raise NotImplementedError
