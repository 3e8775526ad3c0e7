"""A dense layer that updates itself in backward (learning rate given); one bug: the weight gradient transposed."""
import numpy as np


class Dense:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(input_size, output_size)
        self.bias = np.random.randn(1, output_size)

    def forward(self, input):
        self.input = input
        return input @ self.weights + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = output_gradient.T @ self.input
        input_gradient = output_gradient @ self.weights.T
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient.sum(axis=0, keepdims=True)
        return input_gradient
