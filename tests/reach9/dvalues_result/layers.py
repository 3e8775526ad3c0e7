"""Layers in the naming of the nnfs video series' early code: backward keeps dx as self.dvalues."""
import numpy as np


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dvalues = np.where(self.inputs > 0, dvalues, 0.0)


class Activation_Softmax:
    def forward(self, inputs):
        shifted = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = shifted / shifted.sum(axis=1, keepdims=True)

    def backward(self, dvalues):
        inner = np.sum(dvalues * self.output, axis=1, keepdims=True)
        self.dvalues = self.output * (dvalues - inner)
