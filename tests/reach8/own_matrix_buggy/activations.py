"""Buggy twin: a numpy ReLU that calls an array method numpy does not have, with no array type of its own: a crash."""
import numpy as np


class ReLU:
    def forward(self, inputs: np.ndarray):
        self.inputs = inputs
        return inputs.clip_below(0)

    def backward(self, dvalues: np.ndarray):
        return dvalues * (self.inputs > 0)
