"""A model file that imports a helper module the folder does not have: a file error, not passed over."""

import numpy as np
from missing_helpers import softmax


class TinyNet:
    def __init__(self, input_dim=3, num_classes=2):
        self.params = {"W1": np.zeros((input_dim, num_classes))}

    def loss(self, X, y=None):
        p = softmax(X @ self.params["W1"])
        return float(p.sum()), {"W1": np.zeros_like(self.params["W1"])}
