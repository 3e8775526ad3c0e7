"""Sigmoid keeping both input and output; one bug: one factor of the derivative takes the input."""
import numpy as np


class Sigmoid:
    def forward(self, x):
        self.x = x
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.x
