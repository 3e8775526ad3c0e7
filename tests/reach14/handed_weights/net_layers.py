"""Layers built from their sizes; the network hands each its weights once it knows the input size."""
import numpy as np


class Dense:
    def __init__(self, units, input_dim=None, activation="linear"):
        self.units = units
        self.input_dim = input_dim
        self.activation = activation
        self.X = None
        self.dW = None
        self.db = None

    def set_param(self, W, b):
        self.W = W
        self.b = b

    def forward(self, X):
        self.X = X
        return X @ self.W + self.b

    def backward(self, delta):
        self.dW = self.X.T @ delta
        self.db = delta.sum(axis=0)
        return delta @ self.W.T


class Linear:
    def __init__(self, n_out):
        self.n_out = n_out
        self.weights = []

    def set_weights(self, weights):
        self.kernel, self.bias = weights

    def forward(self, inputs):
        self.inputs = inputs
        return inputs.dot(self.kernel) + self.bias

    def backward(self, grad):
        self.kernel_grad = self.inputs.T.dot(grad)
        self.bias_grad = grad.sum(axis=0)
        return grad.dot(self.kernel.T)
