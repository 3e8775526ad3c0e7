"""Keras-like, channels last (x (N, H, W, C)): a Conv2D built from its number of filters and kernel size, its kernel
(kh, kw, C_in, C_out), updated in backward(output_gradient, learning_rate)."""
import numpy as np


class Conv2D:
    """Keras-like: built from its number of filters and kernel size, channels last, valid padding."""

    def __init__(self, filters, kernel_size, input_channels):
        self.filters, self.kernel_size = filters, kernel_size
        self.kernel = np.random.randn(kernel_size, kernel_size, input_channels, filters) * 0.1
        self.bias = np.zeros(filters)

    def forward(self, inputs):
        self.inputs = inputs
        N, H, W, C = inputs.shape
        k = self.kernel_size
        out = np.zeros((N, H - k + 1, W - k + 1, self.filters))
        for i in range(H - k + 1):
            for j in range(W - k + 1):
                patch = inputs[:, i:i + k, j:j + k, :]
                out[:, i, j, :] = np.tensordot(patch, self.kernel, axes=([1, 2, 3], [0, 1, 2])) + self.bias
        return out

    def backward(self, output_gradient, learning_rate):
        k = self.kernel_size
        dinputs = np.zeros_like(self.inputs)
        dkernel = np.zeros_like(self.kernel)
        for i in range(output_gradient.shape[1]):
            for j in range(output_gradient.shape[2]):
                patch = self.inputs[:, i:i + k, j:j + k, :]
                g = output_gradient[:, i, j, :]
                dkernel += np.tensordot(patch, g, axes=([0], [0]))
                dinputs[:, i:i + k, j:j + k, :] += np.tensordot(g, self.kernel, axes=([1], [3]))
        self.kernel -= learning_rate * dkernel
        self.bias -= learning_rate * output_gradient.sum(axis=(0, 1, 2))
        return dinputs
