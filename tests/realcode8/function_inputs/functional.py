"""Layers as pairs of functions in a torch-like functional style: forward returns only its output, and backward is
given the upstream gradient and forward's own arguments, recomputing what it needs."""

import numpy as np


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def sigmoid_forward(input):
    return _sig(input)


def sigmoid_backward(grad, input):
    s = _sig(input)
    return grad * s * (1.0 - s)


def flatten_forward(input):
    return input.reshape(input.shape[0], -1)


def flatten_backward(grad, input):
    return grad.reshape(input.shape)
