import numpy as np
from layer import Layer


class Reshape(Layer):
    def __init__(self, input_shape, output_shape):
        super().__init__()
        self.input_shape = input_shape
        self.output_shape = output_shape

    def forward(self, input):
        return input.reshape(self.output_shape)

    def backward(self, output_gradient, learning_rate):
        return output_gradient.reshape(self.input_shape[::-1]).transpose()  # BUG: the axes reversed


class ReshapeLayer(Layer):
    def __init__(self, input_shape, output_shape):
        super().__init__()
        self.input_shape = tuple(input_shape)
        self.output_shape = tuple(output_shape)

    def forward(self, input):
        return np.reshape(input, (input.shape[0],) + self.output_shape)

    def backward(self, output_gradient, learning_rate):
        return np.reshape(output_gradient, (output_gradient.shape[0], -1))  # BUG: flat, not the input's shape
