"""The same layer whose tanh_prime is written at the output while its caller passes the input (the buggy twin;
written for gradlab's tests): a wrong-input bug."""

import numpy as np


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1.0 - x ** 2  # BUG: t' at the output, but the caller passes the input


class ActivationLayer:
    def __init__(self, activation, activation_prime):
        self.activation, self.activation_prime = activation, activation_prime

    def forward(self, input_data):
        self.input = input_data
        return self.activation(self.input)

    def backward(self, output_error):
        return self.activation_prime(self.input) * output_error
