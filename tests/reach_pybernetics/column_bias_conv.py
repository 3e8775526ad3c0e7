"""A 1-D convolution keeping its bias as a column (F, 1) and storing a number plus b[f] into one element (written for
gradlab's tests, in a learner's library's convention): numpy 1 took the one element, numpy 2.4 raises."""

import numpy as np


class Conv1D:
    def __init__(self, n_inputs, n_filters, kernel_size, stride=1):
        self.stride = stride
        self.weights = 0.1 * np.random.randn(n_filters, n_inputs, kernel_size)
        self.biases = np.zeros((n_filters, 1))

    def forward(self, inputs):
        self.inputs = inputs
        n, _, width = inputs.shape
        filters, _, k = self.weights.shape
        length = (width - k) // self.stride + 1
        self.outputs = np.zeros((n, filters, length))
        for i in range(n):
            for f in range(filters):
                for j in range(length):
                    window = self.inputs[i, :, j * self.stride:j * self.stride + k]
                    self.outputs[i, f, j] = np.sum(window * self.weights[f]) + self.biases[f]
        return self.outputs

    def backward(self, dvalues):
        k = self.weights.shape[2]
        self.dweights = np.zeros_like(self.weights)
        self.dbiases = np.zeros_like(self.biases)
        self.dinputs = np.zeros_like(self.inputs)
        for i in range(dvalues.shape[0]):
            for f in range(dvalues.shape[1]):
                self.dbiases[f] += np.sum(dvalues[i, f])
                for j in range(dvalues.shape[2]):
                    start = j * self.stride
                    self.dweights[f] += self.inputs[i, :, start:start + k] * dvalues[i, f, j]
                    self.dinputs[i, :, start:start + k] += self.weights[f] * dvalues[i, f, j]
        return self.dinputs
