"""A reshape told its target shape as separate arguments, Reshape(C * H * W, 1)."""
import numpy as np


class Reshape:
    def __init__(self, *shape):
        self.shape = shape
        self.input_shape = None

    def forward(self, inputs):
        self.input_shape = inputs.shape
        return inputs.reshape(inputs.shape[0], *self.shape)

    def backward(self, grad):
        return grad.reshape(self.input_shape)
