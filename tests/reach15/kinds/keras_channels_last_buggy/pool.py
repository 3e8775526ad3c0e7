"""Keras-like, channels last (x (N, H, W, C)): MaxPool2D(pool_size, strides)."""
import numpy as np


class MaxPool2D:
    """Channels last, Keras' arguments: pool_size, strides (the pool size by default)."""

    def __init__(self, pool_size=2, strides=None):
        self.pool_size, self.strides = pool_size, strides or pool_size

    def forward(self, inputs):
        self.inputs = inputs
        N, H, W, C = inputs.shape
        p, s = self.pool_size, self.strides
        oh, ow = (H - p) // s + 1, (W - p) // s + 1
        out = np.zeros((N, oh, ow, C))
        for i in range(oh):
            for j in range(ow):
                out[:, i, j, :] = inputs[:, i * s:i * s + p, j * s:j * s + p, :].max(axis=(1, 2))
        return out

    def backward(self, output_gradient):
        p, s = self.pool_size, self.strides
        dinputs = np.zeros_like(self.inputs)
        for i in range(output_gradient.shape[1]):
            for j in range(output_gradient.shape[2]):
                window = self.inputs[:, i * s:i * s + p, j * s:j * s + p, :]
                mask = window == window.max(axis=(1, 2), keepdims=True)
                dinputs[:, i * s:i * s + p, j * s:j * s + p, :] += output_gradient[:, i:i + 1, j:j + 1, :]
        return dinputs
