"""A textbook-style network with dropout whose loss spells the book's train_flg as train_flag, as a learner's copy
renamed it; its gradient runs the loss in training mode, dropout on."""
import numpy as np


class Net:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.1, dropout_ratio=0.5):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size),
                       "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size),
                       "b2": np.zeros(output_size)}
        self.ratio = dropout_ratio

    def loss(self, x, t, train_flag=False):
        p = self.params
        self.h = x @ p["W1"] + p["b1"]
        self.mask = np.random.rand(*self.h.shape) > self.ratio if train_flag else None
        self.a = np.maximum(self.h, 0) * (self.mask if train_flag else 1 - self.ratio)
        s = self.a @ p["W2"] + p["b2"]
        s = s - s.max(axis=1, keepdims=True)
        self.y = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        self.x, self.t = x, t
        return -np.log(self.y[np.arange(len(t)), t] + 1e-7).mean()

    def gradient(self, x, t):
        self.loss(x, t, train_flag=True)
        p, n = self.params, len(t)
        ds = self.y.copy()
        ds[np.arange(n), t] -= 1
        ds /= n
        grads = {"W2": self.a.T @ ds, "b2": ds.sum(axis=0)}
        da = ds @ p["W2"].T * (self.h > 0)  # the dropout mask left out
        grads["W1"], grads["b1"] = self.x.T @ da, da.sum(axis=0)
        return grads
