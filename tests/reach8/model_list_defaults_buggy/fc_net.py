"""Buggy twin: a model built from the numbers gradlab gives, whose constructor has a bug of its own: failed."""
import numpy as np


class TwoLayerNet:
    def __init__(self, input_dim=3 * 32 * 32, hidden_dim=100, num_classes=10, weight_scale=1e-3, reg=0.0):
        self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim)}
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes, hidden_dim)

    def loss(self, X, y=None):
        raise NotImplementedError
