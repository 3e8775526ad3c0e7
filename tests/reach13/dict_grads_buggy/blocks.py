"""A numpy transformer's blocks: backward returns (dx, {name: gradient}); the Linear is written for (B, S, D) only."""
import numpy as np


class Linear:
    def __init__(self, d_in, d_out):
        self.W = np.random.randn(d_in, d_out) * 0.1
        self.b = np.zeros(d_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad_out):
        tokens = self.x.transpose(1, 0, 2).reshape(-1, self.W.shape[0])
        grads = grad_out.transpose(1, 0, 2).reshape(-1, self.W.shape[1])
        return grad_out @ self.W.T, {"W": tokens.T @ grads, "b": grads.mean(axis=0)}


class RMSNorm:
    def __init__(self, dim, eps=1e-6):
        self.weight = np.ones(dim)
        self.eps = eps

    def forward(self, x):
        self.x = x
        self.rms = np.sqrt((x ** 2).mean(axis=-1, keepdims=True) + self.eps)
        return self.weight * x / self.rms

    def backward(self, grad_out):
        xhat = self.x / self.rms
        d = self.x.shape[-1]
        g = grad_out * self.weight
        dx = (g - xhat * (g * xhat).sum(axis=-1, keepdims=True) / d) / self.rms
        lead = tuple(range(grad_out.ndim - 1))
        return dx, {"dweight": -(grad_out * xhat).sum(axis=lead)}
