import numpy as np


class Dense:
    """A fully connected layer whose backward hands its gradients back to the model, which applies the step."""

    def __init__(self, in_features, out_features, seed=0):
        rng = np.random.default_rng(seed)
        self.W = rng.normal(0.0, np.sqrt(1.0 / in_features), (in_features, out_features))
        self.b = np.zeros(out_features)
        self.inp = None

    def forward(self, X):
        self.inp = X
        return X @ self.W + self.b

    def backward(self, grad_out):
        grad_W = self.inp.T @ grad_out
        grad_b = grad_out.sum(axis=0)
        grad_in = grad_out @ self.W.T
        return grad_in, grad_W, grad_b
