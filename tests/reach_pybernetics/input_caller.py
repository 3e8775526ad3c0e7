"""A layer holding an activation and its derivative that calls the derivative with the layer's input (written for
gradlab's tests): tanh_prime then takes the input, and 1 - np.tanh(x) ** 2 is right."""

import numpy as np


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1.0 - np.tanh(x) ** 2


class ActivationLayer:
    def __init__(self, activation, activation_prime):
        self.activation, self.activation_prime = activation, activation_prime

    def forward(self, input_data):
        self.input = input_data
        return self.activation(self.input)

    def backward(self, output_error):
        return self.activation_prime(self.input) * output_error
