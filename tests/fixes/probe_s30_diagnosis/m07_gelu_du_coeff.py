# BUG: mismatch: GELU
"""Torch-like modules written by hand: weight (out, in), einsum everywhere, gradients kept beside each parameter."""
import numpy as np


class Linear:
    def __init__(self, in_features, out_features):
        rng = np.random.default_rng(1)
        self.weight = rng.normal(0, in_features ** -0.5, (out_features, in_features))
        self.bias = np.zeros(out_features)
        self.grad_weight = np.zeros_like(self.weight)
        self.grad_bias = np.zeros_like(self.bias)

    def forward(self, x):
        self.saved = x
        return np.einsum("ni,oi->no", x, self.weight) + self.bias

    def backward(self, grad_out):
        self.grad_weight = np.einsum("no,ni->oi", grad_out, self.saved)
        self.grad_bias = np.einsum("no->o", grad_out)
        return np.einsum("no,oi->ni", grad_out, self.weight)


class Tanh:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, grad_out):
        return grad_out * (1.0 - np.square(self.y))


class Sigmoid:
    def forward(self, x):
        self.y = np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))), np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))
        return self.y

    def backward(self, grad_out):
        return grad_out * self.y * (1.0 - self.y)


class LeakyReLU:
    def __init__(self, negative_slope=0.01):
        self.negative_slope = negative_slope

    def forward(self, x):
        self.slope = np.where(x > 0, 1.0, self.negative_slope)
        return x * self.slope

    def backward(self, grad_out):
        return grad_out * self.slope


class GELU:
    def forward(self, x):
        self.x = x
        self.u = np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)
        self.t = np.tanh(self.u)
        return 0.5 * x * (1 + self.t)

    def backward(self, grad_out):
        du = np.sqrt(2 / np.pi) * (1 + 0.044715 * self.x ** 2)
        return grad_out * (0.5 * (1 + self.t) + 0.5 * self.x * (1 - self.t ** 2) * du)


class LayerNorm:
    def __init__(self, normalized_shape, eps=1e-5):
        self.weight = np.ones(normalized_shape)
        self.bias = np.zeros(normalized_shape)
        self.eps = eps

    def forward(self, x):
        mu = x.mean(-1, keepdims=True)
        self.rstd = 1.0 / np.sqrt(((x - mu) ** 2).mean(-1, keepdims=True) + self.eps)
        self.xhat = (x - mu) * self.rstd
        return self.xhat * self.weight + self.bias

    def backward(self, grad_out):
        self.grad_weight = np.einsum("nd,nd->d", grad_out, self.xhat)
        self.grad_bias = grad_out.sum(0)
        g = grad_out * self.weight
        d = g.shape[-1]
        return self.rstd * (g - g.mean(-1, keepdims=True) - self.xhat * (g * self.xhat).mean(-1, keepdims=True))


class MSELoss:
    def forward(self, pred, target):
        self.diff = pred - target
        return np.mean(self.diff ** 2)

    def backward(self):
        return 2.0 * self.diff / self.diff.size


class CrossEntropyLoss:
    """Logits and class indices, mean over the batch."""

    def forward(self, logits, target):
        z = logits - logits.max(axis=1, keepdims=True)
        self.logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self.target = target
        return -self.logp[np.arange(len(target)), target].mean()

    def backward(self):
        g = np.exp(self.logp)
        g[np.arange(len(self.target)), self.target] -= 1.0
        return g / len(self.target)
