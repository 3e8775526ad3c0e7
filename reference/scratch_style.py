"""Correct layers in the style of the "neural network from scratch" videos and their many forks: one sample at a
time, samples as columns, `backward(output_gradient, learning_rate)` updating the weights inside, losses as a
function and its derivative (`mse(y_true, y_pred)` with `mse_prime(y_true, y_pred)`)."""

import numpy as np

from gradlab.registry import register, register_pair


def squared_error(y_true, y_pred):
    # the mean over every element: one sample's outputs, or a whole batch's
    return np.mean((y_pred - y_true) ** 2)


def squared_error_prime(y_true, y_pred):
    return 2.0 * (y_pred - y_true) / y_true.size


def bce(y_true, y_pred):
    return -np.mean(y_true * np.log(y_pred) + (1.0 - y_true) * np.log(1.0 - y_pred))


def bce_prime(y_true, y_pred):
    return ((1.0 - y_true) / (1.0 - y_pred) - y_true / y_pred) / np.size(y_true)


def squared_error_predictions_first(predicted, target):
    # the other order met in forks: predictions first, labels second, as the names say
    diff = predicted - target
    return float(np.sum(diff * diff)) / diff.size


def squared_error_predictions_first_derivative(predicted, target):
    return (predicted - target) * (2.0 / predicted.size)


def scratch_tanh(x):
    return np.tanh(x)


def scratch_tanh_prime(x):
    return 1.0 / np.cosh(x) ** 2


def scratch_sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def scratch_sigmoid_derivative(activated):
    # of the output, as the layer that calls it passes it
    return activated - activated ** 2


register_pair(scratch_tanh, scratch_tanh_prime, kind="tanh", name="scratch_tanh", pair="prime")
register_pair(scratch_sigmoid, scratch_sigmoid_derivative, kind="sigmoid", name="scratch_sigmoid", pair="prime")
register_pair(squared_error, squared_error_prime, kind="mse_loss", name="scratch_mse", pair="prime")
register_pair(bce, bce_prime, kind="binary_crossentropy", name="scratch_bce", pair="prime")
register_pair(squared_error_predictions_first, squared_error_predictions_first_derivative, kind="mse_loss",
              name="scratch_mse_predictions_first", pair="prime")


@register("reshape_layer")
class BatchReshape:
    """The shapes of one sample, the batch axis kept (Keras-like learners' layers)."""

    def __init__(self, input_shape, output_shape):
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)

    def forward(self, x):
        return x.reshape((len(x),) + self.output_shape)

    def backward(self, dout):
        return dout.reshape((len(dout),) + self.input_shape)


@register("reshape_layer")
class ScratchReshape:
    """One sample, no batch axis: whatever it is given becomes output_shape."""

    def __init__(self, input_shape, output_shape):
        self.input_shape = input_shape
        self.output_shape = output_shape

    def forward(self, input):
        return np.reshape(input, self.output_shape)

    def backward(self, output_gradient, learning_rate):
        return np.reshape(output_gradient, self.input_shape)


def _windows(image, k):
    """Every k-by-k window of each channel of one image: (C, H - k + 1, W - k + 1, k, k)."""
    return np.lib.stride_tricks.sliding_window_view(image, (k, k), axis=(1, 2))


@register("conv_untied_bias")
class BatchConvolutional:
    """A batch of images; one bias per filter and output position. The kind's reference layer."""

    def __init__(self, input_shape, kernel_size, depth):
        channels, height, width = input_shape
        self.kernels = np.random.randn(depth, channels, kernel_size, kernel_size)
        self.biases = np.random.randn(depth, height - kernel_size + 1, width - kernel_size + 1)
        self.dkernels = self.dbiases = self.input = None

    def forward(self, x):
        self.input = x
        k = self.kernels.shape[-1]
        return np.stack([np.einsum("chwij,fcij->fhw", _windows(image, k), self.kernels) for image in x]) + self.biases

    def backward(self, dout):
        k = self.kernels.shape[-1]
        self.dkernels = sum(np.einsum("chwij,fhw->fcij", _windows(image, k), g) for image, g in zip(self.input, dout))
        self.dbiases = dout.sum(axis=0)
        # the input gradient: the upstream gradient, padded, correlated with the kernels turned by 180 degrees
        padded = np.pad(dout, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        turned = self.kernels[:, :, ::-1, ::-1]
        return np.stack([np.einsum("fhwij,fcij->chw", _windows(g, k), turned) for g in padded])


@register("conv_untied_bias")
class ScratchConvolutional:
    """One image (C, H, W), no batch axis; backward(output_gradient, learning_rate) updates inside."""

    def __init__(self, input_shape, kernel_size, depth):
        channels, height, width = input_shape
        self.input_shape = input_shape
        self.kernels = np.random.randn(depth, channels, kernel_size, kernel_size)
        self.biases = np.random.randn(depth, height - kernel_size + 1, width - kernel_size + 1)
        self.input = None

    def forward(self, input):
        self.input = input
        k = self.kernels.shape[-1]
        return np.einsum("chwij,fcij->fhw", _windows(input, k), self.kernels) + self.biases

    def backward(self, output_gradient, learning_rate):
        k = self.kernels.shape[-1]
        kernels_gradient = np.einsum("chwij,fhw->fcij", _windows(self.input, k), output_gradient)
        padded = np.pad(output_gradient, ((0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        input_gradient = np.einsum("fhwij,fcij->chw", _windows(padded, k), self.kernels[:, :, ::-1, ::-1])
        self.kernels -= learning_rate * kernels_gradient
        self.biases -= learning_rate * output_gradient
        return input_gradient


@register("conv1d")
class Conv1DLayer:
    """Keras-like learners' 1-D convolution over (N, C, W): sizes in the constructor, gradients stored as dW, db."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        self.W = np.random.randn(out_channels, in_channels, kernel_size) * 0.1
        self.b = np.zeros(out_channels)
        self.stride = stride
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        windows = np.lib.stride_tricks.sliding_window_view(x, self.W.shape[-1], axis=2)[:, :, :: self.stride]
        return np.einsum("ncwk,fck->nfw", windows, self.W) + self.b[:, None]

    def backward(self, dout):
        k = self.W.shape[-1]
        windows = np.lib.stride_tricks.sliding_window_view(self.x, k, axis=2)[:, :, :: self.stride]
        self.dW = np.einsum("ncwk,nfw->fck", windows, dout)
        self.db = dout.sum(axis=(0, 2))
        dx = np.zeros_like(self.x)
        spread = np.einsum("nfw,fck->ncwk", dout, self.W)
        for i in range(dout.shape[2]):
            dx[:, :, i * self.stride: i * self.stride + k] += spread[:, :, i]
        return dx
