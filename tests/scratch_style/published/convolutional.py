import numpy as np
from layer import Layer
from scipy.signal import convolve2d, correlate2d


class Convolutional(Layer):
    def __init__(self, input_shape, kernel_size, depth):
        super().__init__()
        channels, rows, cols = input_shape
        self.input_shape = input_shape
        self.kernels = np.random.randn(depth, channels, kernel_size, kernel_size)
        self.biases = np.random.randn(depth, rows - kernel_size + 1, cols - kernel_size + 1)

    def forward(self, input):
        self.input = input
        out = self.biases.copy()
        for f, filters in enumerate(self.kernels):
            for c, kernel in enumerate(filters):
                out[f] = out[f] + correlate2d(input[c], kernel, mode="valid")
        return out

    def backward(self, output_gradient, learning_rate):
        d_kernels = np.empty_like(self.kernels)
        d_input = np.zeros(self.input_shape)
        for f, filters in enumerate(self.kernels):
            for c, kernel in enumerate(filters):
                d_kernels[f, c] = correlate2d(self.input[c], output_gradient[f], mode="valid")
                d_input[c] = d_input[c] + convolve2d(output_gradient[f], kernel, mode="full")
        self.kernels = self.kernels - learning_rate * d_kernels
        self.biases = self.biases - learning_rate * output_gradient
        return d_input
