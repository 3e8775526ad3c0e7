"""Buggy layers in the "neural network from scratch" style: each a copy of its correct counterpart in
`scratch_style.py` with ONE bug, registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair


def squared_error(y_true, y_pred):
    return np.mean((y_pred - y_true) ** 2)


def squared_error_prime_no_two(y_true, y_pred):
    return (y_pred - y_true) / y_true.size  # BUG: the square's 2 is missing


def squared_error_prime_swapped(y_true, y_pred):
    return 2.0 * (y_true - y_pred) / y_true.size  # BUG: difference taken the other way round


def bce(y_true, y_pred):
    return -np.mean(y_true * np.log(y_pred) + (1.0 - y_true) * np.log(1.0 - y_pred))


def bce_prime_not_averaged(y_true, y_pred):
    return (1.0 - y_true) / (1.0 - y_pred) - y_true / y_pred  # BUG: the mean's 1/size is missing


def scratch_sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def scratch_sigmoid_derivative_of_input(activated):
    s = 0.5 * (1.0 + np.tanh(0.5 * activated))  # BUG: the sigmoid taken again of what is already its output
    return s * (1.0 - s)


def scratch_tanh(x):
    return np.tanh(x)


def scratch_tanh_prime_negated(x):
    return np.tanh(x) ** 2 - 1.0  # BUG: 1 - tanh(x)^2 the other way round


register_pair(scratch_sigmoid, scratch_sigmoid_derivative_of_input, kind="sigmoid", name="scratch_sigmoid_twice",
              bug="wrong-input", note="sigmoid_derivative(a) applies the sigmoid to its output again", pair="prime")
register_pair(scratch_tanh, scratch_tanh_prime_negated, kind="tanh", name="scratch_tanh_sign", bug="sign-flip",
              note="tanh_prime = tanh(x)^2 - 1", pair="prime")
register_pair(squared_error, squared_error_prime_no_two, kind="mse_loss", name="scratch_mse_half", bug="scaled",
              note="mse_prime = (y_pred - y_true) / n: the 2 of the square left out", pair="prime")
register_pair(squared_error, squared_error_prime_swapped, kind="mse_loss", name="scratch_mse_sign",
              bug="sign-flip", note="mse_prime = 2 (y_true - y_pred) / n", pair="prime")
register_pair(bce, bce_prime_not_averaged, kind="binary_crossentropy", name="scratch_bce_sum", bug="scaled",
              note="binary_cross_entropy_prime without the mean's 1/size", pair="prime")


@register("reshape_layer", bug="transposed", note="the gradient put back in Fortran order, not the forward's C order")
class ScratchReshapeFortranBack:
    def __init__(self, input_shape, output_shape):
        self.input_shape = input_shape
        self.output_shape = output_shape

    def forward(self, input):
        return np.reshape(input, self.output_shape)

    def backward(self, output_gradient, learning_rate):
        return np.reshape(output_gradient, self.input_shape, order="F")  # BUG: another order than forward's


@register("reshape_layer", bug="wrong-shape", note="the gradient returned in the output's shape")
class BatchReshapeNotBack:
    def __init__(self, input_shape, output_shape):
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)

    def forward(self, x):
        return x.reshape((len(x),) + self.output_shape)

    def backward(self, dout):
        return dout  # BUG: not reshaped back to the input's shape


def _windows(image, k):
    return np.lib.stride_tricks.sliding_window_view(image, (k, k), axis=(1, 2))


class _ScratchConvolutional:
    def __init__(self, input_shape, kernel_size, depth):
        channels, height, width = input_shape
        self.kernels = np.random.randn(depth, channels, kernel_size, kernel_size)
        self.biases = np.random.randn(depth, height - kernel_size + 1, width - kernel_size + 1)
        self.input = None

    def forward(self, input):
        self.input = input
        k = self.kernels.shape[-1]
        return np.einsum("chwij,fcij->fhw", _windows(input, k), self.kernels) + self.biases


@register("conv_untied_bias", bug="misrouted", note="the input gradient correlates with the kernels unturned")
class ScratchConvolutionalNotTurned(_ScratchConvolutional):
    def backward(self, output_gradient, learning_rate):
        k = self.kernels.shape[-1]
        kernels_gradient = np.einsum("chwij,fhw->fcij", _windows(self.input, k), output_gradient)
        padded = np.pad(output_gradient, ((0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        input_gradient = np.einsum("fhwij,fcij->chw", _windows(padded, k), self.kernels)  # BUG: not turned by 180
        self.kernels -= learning_rate * kernels_gradient
        self.biases -= learning_rate * output_gradient
        return input_gradient


@register("conv_untied_bias", bug="mismatch",
          note="the kernels turned over the filter and channel axes, not over the window's (a learner's real bug)")
class ScratchConvolutionalTurnedWrongAxes(_ScratchConvolutional):
    def backward(self, output_gradient, learning_rate):
        k = self.kernels.shape[-1]
        kernels_gradient = np.einsum("chwij,fhw->fcij", _windows(self.input, k), output_gradient)
        padded = np.pad(output_gradient, ((0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        turned = np.rot90(self.kernels, 2)  # BUG: rot90 turns the first two axes (filters, channels)
        input_gradient = np.einsum("fhwij,fcij->chw", _windows(padded, k), turned)
        self.kernels -= learning_rate * kernels_gradient
        self.biases -= learning_rate * output_gradient
        return input_gradient


@register("conv_untied_bias", bug="wrong-reduction", note="the biases' gradient summed over the output positions")
class ScratchConvolutionalBiasSummed(_ScratchConvolutional):
    def backward(self, output_gradient, learning_rate):
        k = self.kernels.shape[-1]
        kernels_gradient = np.einsum("chwij,fhw->fcij", _windows(self.input, k), output_gradient)
        padded = np.pad(output_gradient, ((0, 0), (k - 1, k - 1), (k - 1, k - 1)))
        input_gradient = np.einsum("fhwij,fcij->chw", _windows(padded, k), self.kernels[:, :, ::-1, ::-1])
        self.kernels -= learning_rate * kernels_gradient
        self.biases -= learning_rate * output_gradient.sum(axis=(1, 2), keepdims=True)  # BUG: one number per filter
        return input_gradient


class _Conv1DLayer:
    def __init__(self, in_channels, out_channels, kernel_size, stride=1):
        self.W = np.random.randn(out_channels, in_channels, kernel_size) * 0.1
        self.b = np.zeros(out_channels)
        self.stride = stride
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        windows = np.lib.stride_tricks.sliding_window_view(x, self.W.shape[-1], axis=2)[:, :, :: self.stride]
        return np.einsum("ncwk,fck->nfw", windows, self.W) + self.b[:, None]


@register("conv1d", bug="misrouted", note="dx spreads each output to its window with the stride left out")
class Conv1DLayerStrideForgotten(_Conv1DLayer):
    def backward(self, dout):
        k = self.W.shape[-1]
        windows = np.lib.stride_tricks.sliding_window_view(self.x, k, axis=2)[:, :, :: self.stride]
        self.dW = np.einsum("ncwk,nfw->fck", windows, dout)
        self.db = dout.sum(axis=(0, 2))
        dx = np.zeros_like(self.x)
        spread = np.einsum("nfw,fck->ncwk", dout, self.W)
        for i in range(dout.shape[2]):
            dx[:, :, i: i + k] += spread[:, :, i]  # BUG: the window of output i starts at i * stride
        return dx


@register("conv1d", bug="transposed", note="dW summed as (in, out, K), then reshaped to the filters' shape")
class Conv1DLayerFiltersSwapped(_Conv1DLayer):
    def backward(self, dout):
        k = self.W.shape[-1]
        windows = np.lib.stride_tricks.sliding_window_view(self.x, k, axis=2)[:, :, :: self.stride]
        self.dW = np.einsum("ncwk,nfw->cfk", windows, dout).reshape(self.W.shape)  # BUG: in and out swapped
        self.db = dout.sum(axis=(0, 2))
        dx = np.zeros_like(self.x)
        spread = np.einsum("nfw,fck->ncwk", dout, self.W)
        for i in range(dout.shape[2]):
            dx[:, :, i * self.stride: i * self.stride + k] += spread[:, :, i]
        return dx
