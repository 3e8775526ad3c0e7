import numpy as np


class Dense:
    """Gradients kept under their Leibniz names: gradients['dLdW'] beside self.weights."""

    def __init__(self, weights, bias):
        self.weights, self.bias = weights, bias
        self.saved, self.gradients = {}, {}

    def forward(self, x):
        self.saved["x"] = x
        return x @ self.weights + self.bias

    def backward(self, dLdY):
        self.gradients["dLdW"] = dLdY.T @ self.saved["x"]
        self.gradients["dLdb"] = dLdY.sum(axis=0)
        return dLdY @ self.weights.T


class LayerNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.gradients = {}

    def forward(self, x):
        self.centred = x - x.mean(axis=-1, keepdims=True)
        self.inv_std = 1.0 / np.sqrt((self.centred ** 2).mean(axis=-1, keepdims=True) + self.eps)
        self.x_hat = self.centred * self.inv_std
        return self.gamma * self.x_hat + self.beta

    def backward(self, dLdY):
        self.gradients["dLdGamma"] = (dLdY * self.x_hat).sum(axis=0)
        self.gradients["dLdBeta"] = dLdY.sum()
        g = dLdY * self.gamma
        return self.inv_std * (g - g.mean(axis=-1, keepdims=True)
                               - self.x_hat * (g * self.x_hat).mean(axis=-1, keepdims=True))


class ReLU:
    """Stateless: backward is given the input again, then dL/dY."""

    def forward(self, x):
        return np.maximum(x, 0.0)

    def backward(self, x, dLdY):
        return dLdY * (x >= 0) - dLdY * (x < 0)
