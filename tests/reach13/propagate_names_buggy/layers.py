"""Layers whose methods are named forward_propagate / back_propagate, updating themselves inside."""
import numpy as np


class FCLayer:
    def __init__(self, input_size, output_size):
        self.weights = np.random.rand(input_size, output_size) - 0.5
        self.bias = np.random.rand(1, output_size) - 0.5
        self.input = None

    def forward_propagate(self, input_data):
        self.input = input_data
        return self.input @ self.weights + self.bias

    def back_propagate(self, output_error, learning_rate):
        input_error = output_error @ self.weights.T / len(output_error)
        weights_error = self.input.T @ output_error
        self.weights -= learning_rate * weights_error
        self.bias -= learning_rate * output_error.sum(axis=0, keepdims=True)
        return input_error


class TanhLayer:
    def forward_propagate(self, input_data):
        self.input = input_data
        return np.tanh(input_data)

    def back_propagate(self, output_error, learning_rate):
        return (1 - self.input ** 2) * output_error
