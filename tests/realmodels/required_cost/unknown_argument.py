"""A CS231n-style model built from a configuration object gradlab cannot guess: not checked, not failed."""

import numpy as np


class ConfiguredNet:
    def __init__(self, config):
        D, C = config["input_dim"], config["num_classes"]
        self.params = {"W1": 0.1 * np.random.randn(D, C), "b1": np.zeros(C)}

    def loss(self, X, y=None):
        s = X @ self.params["W1"] + self.params["b1"]
        if y is None:
            return s
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(p[np.arange(N), y]).mean()
        p[np.arange(N), y] -= 1
        p /= N
        return loss, {"W1": X.T @ p, "b1": p.sum(axis=0)}
