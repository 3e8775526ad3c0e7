"""nnfs-style layers that keep their results in camel case (self.dInputs, self.dWeights, self.dBiases)."""
import numpy as np
from float32_setup import setup

setup()


class DenseLayer:
    def __init__(self, n_in, n_out):
        self.weights = 0.1 * np.random.randn(n_in, n_out)
        self.biases = np.zeros((1, n_out))

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.dot(inputs, self.weights) + self.biases

    def backward(self, dValues):
        self.dWeights = np.dot(self.inputs.T, dValues)
        self.dBiases = dValues.sum(axis=0, keepdims=True)
        self.dInputs = np.dot(dValues, self.weights.T)


class MSE_Loss:
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def calculate(self, output, y):
        return np.mean(self.forward(output, y))

    def backward(self, y_pred, y_true):
        samples, outputs = y_pred.shape
        self.dInputs = -2 * (y_true - y_pred) / outputs / samples
