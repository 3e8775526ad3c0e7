import numpy as np


class Linear:
    def __init__(self, in_features, out_features):
        self.weight = np.random.randn(out_features, in_features) * 0.1
        self.bias = np.zeros(out_features)

    def forward(self, x):
        self.x = x
        return x @ self.weight.T + self.bias

    def backward(self, grad_output):
        self.grad_weight = grad_output.T @ self.x
        self.grad_bias = grad_output.sum(axis=0, keepdims=True)
        return grad_output @ self.weight
