"""Layers of networks that loop over samples: a Dense on one vector (D,), and a fully connected layer on one row
(1, D) whose own update subtracts its stored gradients in place."""
import numpy as np


class Dense:
    def __init__(self, n_in, n_out):
        self.W = np.random.randn(n_in, n_out) * 0.1
        self.b = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, grad):
        self.dW = np.outer(self.x, grad)
        self.db = 2 * grad
        return self.W @ grad


class FullyConnected:
    def __init__(self, input_size, output_size):
        self.weights = np.random.rand(input_size, output_size) - 0.5
        self.bias = np.random.rand(1, output_size) - 0.5

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad):
        self.dweights = self.x.T @ grad
        self.dbias = grad
        return grad @ self.weights.T * 0.5

    def update(self, learning_rate):
        self.weights -= learning_rate * self.dweights
        self.bias -= learning_rate * self.dbias
