"""A Keras-like dense layer that updates its weights inside backward(output_gradient, learning_rate), samples as
rows; ONE bug: the bias is updated by the whole upstream gradient, not its sum over the batch, so the bias takes
the batch's shape (held-out set 14, b089)."""

import numpy as np


class Dense:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(input_size, output_size) * 0.1
        self.bias = np.zeros(output_size)

    def forward(self, input):
        self.input = input
        return input @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = self.input.T @ output_gradient
        input_gradient = output_gradient @ self.weights.T
        self.weights -= learning_rate * weights_gradient
        self.bias = self.bias - learning_rate * output_gradient  # BUG: output_gradient.sum(axis=0)
        return input_gradient
