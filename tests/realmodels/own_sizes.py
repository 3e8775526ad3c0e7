"""A CS231n-style net written for 8x8 digit images only (its loss asserts 64 inputs), so gradlab builds it at its
own default sizes; and its twin whose output bias gradient is doubled."""

import numpy as np


class DigitsOnlyNet:
    def __init__(self, input_dim=64, hidden_dim=12, num_classes=10, weight_scale=0.1):
        self.params = {"W1": weight_scale * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": weight_scale * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        assert X.shape[1] == 64, "8x8 digits only"
        p = self.params
        h = np.tanh(X @ p["W1"] + p["b1"])
        s = h @ p["W2"] + p["b2"]
        if y is None:
            return s
        e = np.exp(s - s.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(probs[np.arange(N), y]).mean()
        ds = probs.copy()
        ds[np.arange(N), y] -= 1
        ds /= N
        dh = ds @ p["W2"].T * (1 - h ** 2)
        return loss, {"W2": h.T @ ds, "b2": self.bias_factor() * ds.sum(axis=0), "W1": X.T @ dh, "b1": dh.sum(axis=0)}

    def bias_factor(self):
        return 1.0


class DigitsOnlyNetDoubledOutputBias(DigitsOnlyNet):
    def bias_factor(self):
        return 2.0
