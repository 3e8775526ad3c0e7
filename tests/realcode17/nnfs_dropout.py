"""nnfs's dropout in its first form (our own file in that convention): forward(inputs) only, no training flag; the
layer is left out of the network at test time, so it must be inverted dropout."""
import numpy as np


class Layer_Dropout:
    def __init__(self, rate):
        self.rate = 1 - rate

    def forward(self, inputs):
        self.inputs = inputs
        self.binary_mask = np.random.binomial(1, self.rate, size=inputs.shape) / self.rate
        self.output = inputs * self.binary_mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.binary_mask
