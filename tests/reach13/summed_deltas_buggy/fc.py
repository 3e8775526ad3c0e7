"""A fully connected layer of a network that loops over a mini-batch's samples: backward adds each sample's gradient
into delta_weights / delta_bias, and update_parameters applies their sum, then zeroes them."""
import numpy as np


class FCLayer:
    def __init__(self, input_size, output_size):
        self.weights = np.random.rand(input_size, output_size) - 0.5
        self.bias = np.random.rand(1, output_size) - 0.5
        self.delta_weights = np.zeros(self.weights.shape)
        self.delta_bias = np.zeros(self.bias.shape)

    def forward(self, x):
        self.x = x
        return x @ self.weights + self.bias

    def backward(self, grad):
        self.delta_weights += grad.T @ self.x
        self.delta_bias += grad
        return grad @ self.weights.T

    def update_parameters(self, learning_rate, batch_size):
        self.weights -= learning_rate / batch_size * self.delta_weights
        self.bias -= learning_rate / batch_size * self.delta_bias
        self.delta_weights = np.zeros(self.weights.shape)
        self.delta_bias = np.zeros(self.bias.shape)
