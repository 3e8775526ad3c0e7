import numpy as np


class DenseLayer:
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_out, n_in) * 0.1
        self.b = np.zeros((n_out, 1))

    def forward(self, X):
        self.X = X
        return self.W @ X + self.b

    def backward(self, dZ):
        self.dW = dZ @ self.X
        self.db = dZ.sum(axis=1, keepdims=True)
        return self.W.T @ dZ
