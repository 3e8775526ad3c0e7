import numpy as np


class FCLayer:
    def __init__(self, input_size, output_size):
        self.weights = np.random.rand(input_size, output_size) - 0.5
        self.bias = np.random.rand(1, output_size) - 0.5

    def forward_propagation(self, input_data):
        self.input = input_data
        return self.input @ self.weights + self.bias

    def backward_propagation(self, output_error, learning_rate):
        self.weights -= learning_rate * (self.input.T @ output_error)
        self.bias -= learning_rate * output_error
        return output_error @ self.weights.T  # BUG: computed with the weights already updated
