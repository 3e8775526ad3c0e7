"""The same library's layers with one bug each."""
import numpy as np

from .base import Module


class Dense(Module):
    def __init__(self, d_in, d_out, rng):
        super().__init__()
        self.param("weight", rng.standard_normal((d_in, d_out)) * 0.1)
        self.param("bias", np.zeros(d_out))
        self.saved = {"x": None}

    def forward(self, x):
        self.saved["x"] = x
        return x @ self.weight.data + self.bias.data

    def backward(self, grad):
        x = self.saved["x"]
        self.weight.gradient = x.T @ grad
        self.bias.gradient = grad.mean(axis=0)
        self.saved["x"] = None
        return grad @ self.weight.data.T


class LearnedPositionalEncoding(Module):
    def __init__(self, max_len, d_model, rng):
        super().__init__()
        self.param("table", rng.standard_normal((max_len, d_model)) * 0.02)

    def forward(self, x):
        return x + self.table.data[: x.shape[1]]

    def backward(self, grad):
        return grad  # the table's gradient is never written


class LayerNorm(Module):
    """Normalises each token over its features; nothing is learned."""

    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.saved = {}

    def forward(self, x):
        mean = x.mean(axis=-1, keepdims=True)
        inv = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)
        self.saved = {"xhat": (x - mean) * inv, "inv": inv}
        return self.saved["xhat"]

    def backward(self, grad):
        xhat, inv = self.saved["xhat"], self.saved["inv"]
        d = grad.shape[-1]
        return inv * (grad - (grad * xhat).mean(axis=-1, keepdims=True) * xhat)  # the mean's path is missing
