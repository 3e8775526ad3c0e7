import numpy as np

from .base import Module


class Dense(Module):
    def __init__(self, d_in, d_out, rng, dtype=np.float64):
        super().__init__()
        self.param("weight", (rng.standard_normal((d_in, d_out)) * 0.1).astype(dtype))
        self.param("bias", np.zeros(d_out, dtype=dtype))
        self.saved = {"x": None}

    def forward(self, x):
        self.saved["x"] = x
        return x @ self.weight.data + self.bias.data

    def backward(self, grad):
        x = self.saved["x"]
        self.weight.gradient = x.T @ grad
        self.bias.gradient = grad.sum(axis=0)
        self.saved["x"] = None  # the cache is freed once used
        return grad @ self.weight.data.T


class ReLU(Module):
    def __init__(self):
        super().__init__()
        self.saved = {"x": None}

    def forward(self, x):
        self.saved["x"] = x.copy()
        return np.maximum(x, 0)

    def backward(self, grad):
        out = grad * (self.saved["x"] > 0)
        self.saved["x"] = None
        return out


class SinusoidalPositionalEncoding(Module):
    """A fixed table: nothing here is learned."""

    def __init__(self, d_model, max_len=64):
        super().__init__()
        pos = np.arange(max_len)[:, None]
        div = 10000.0 ** (np.arange(0, d_model, 2) / d_model)
        self.table = np.zeros((max_len, d_model))
        self.table[:, 0::2] = np.sin(pos / div)
        self.table[:, 1::2] = np.cos(pos / div)

    def forward(self, x):
        return x + self.table[: x.shape[1]]

    def backward(self, grad):
        return grad


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
        return inv * (grad - grad.mean(axis=-1, keepdims=True) - xhat * (grad * xhat).sum(axis=-1, keepdims=True) / d)
