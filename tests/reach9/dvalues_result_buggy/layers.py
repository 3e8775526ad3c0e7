"""The same naming, with a softmax backward left as a stub that passes its upstream gradient on, and a second
softmax whose backward keeps its upstream gradient under a name of its own and returns nothing."""
import numpy as np


class Activation_ReLU:
    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.maximum(0, inputs)

    def backward(self, dvalues):
        self.dvalues = np.where(self.inputs >= 0, 0.0, dvalues)  # the mask read the wrong way round


class Activation_Softmax:
    def forward(self, inputs):
        shifted = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = shifted / shifted.sum(axis=1, keepdims=True)

    def backward(self, dvalues):
        self.dvalues = dvalues.copy()  # to do: the softmax's own derivative


class Softmax:
    def forward(self, inputs):
        shifted = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = shifted / shifted.sum(axis=1, keepdims=True)

    def backward(self, dvalues):
        self.upstream = dvalues.copy()  # to do
