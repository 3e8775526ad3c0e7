"""nnfs-style activations named with the book's Activation_ abbreviated to Act_ (a learner's library)."""
import numpy as np


class Act_ReLU:
    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues * (self.inputs > 0)


class Act_Sigmoid:
    def forward(self, inputs, training):
        self.output = 1 / (1 + np.exp(-inputs))

    def backward(self, dvalues):
        self.dinputs = dvalues * self.output * (1 - self.output)
