"""A learner's activations of the form x * f(x), as classes keeping f(x) for backward: a swish (x times its sigmoid)
and an exact GELU (x times the normal CDF, its density computed in backward). Correct; the fix tests write one slip
into a copy (the product rule's second branch without the input; the density computed and left out of the returned
gradient)."""
from math import erf

import numpy as np


class Swish:
    def forward(self, x):
        self.x = x
        self.gate = 1.0 / (1.0 + np.exp(-x))
        return x * self.gate

    def backward(self, dout):
        return dout * (self.gate + self.x * self.gate * (1.0 - self.gate))


class GELU:
    def forward(self, x):
        self.x = x
        self.phi = 0.5 * (1.0 + np.vectorize(erf)(x / np.sqrt(2.0)))
        return x * self.phi

    def backward(self, dout):
        density = np.exp(-self.x * self.x / 2.0) / np.sqrt(2.0 * np.pi)
        return dout * (self.phi + self.x * density)
