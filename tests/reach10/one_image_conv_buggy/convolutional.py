"""A convolution on one image (depth, height, width), no batch axis, that updates itself inside backward, as the
"neural network from scratch" videos write it; its bias is one per output position."""
import numpy as np


def _correlate(image, kernel):
    if image.ndim != 2 or kernel.ndim != 2:  # as scipy.signal.correlate2d refuses
        raise ValueError("correlate inputs must both be 2-D arrays")
    kh, kw = kernel.shape
    out = np.empty((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i:i + kh, j:j + kw] * kernel)
    return out


def _full_convolve(grad, kernel):
    kh, kw = kernel.shape
    padded = np.pad(grad, ((kh - 1, kh - 1), (kw - 1, kw - 1)))
    return _correlate(padded, kernel[::-1, ::-1])


class Convolutional:
    def __init__(self, input_shape, kernel_size, depth):
        channels, height, width = input_shape
        self.input_shape = input_shape
        self.depth = depth
        self.kernels = np.random.randn(depth, channels, kernel_size, kernel_size)
        self.biases = np.random.randn(depth, height - kernel_size + 1, width - kernel_size + 1)

    def forward(self, input):
        self.input = input
        self.output = np.copy(self.biases)
        for i in range(self.depth):
            for j in range(self.input_shape[0]):
                self.output[i] += _correlate(self.input[j], self.kernels[i, j])
        return self.output

    def backward(self, output_gradient, learning_rate):
        kernels_gradient = np.zeros(self.kernels.shape)
        input_gradient = np.zeros(self.input_shape)
        for i in range(self.depth):
            for j in range(self.input_shape[0]):
                kernels_gradient[i, j] = _correlate(self.input[j], output_gradient[i])
                input_gradient[j] += _full_convolve(output_gradient[i], self.kernels[i, j])
        self.kernels -= learning_rate * kernels_gradient
        self.biases -= learning_rate * output_gradient

