# Ordinary student mistakes that once crashed the whole grader: Relu's forward returns a numpy scalar,
# Sigmoid raises an exception whose message holds a lone surrogate. Tanh stays correct.
import numpy as np


class Relu:
    def forward(self, x):
        return np.float64(np.maximum(x, 0).sum())

    def backward(self, dout):
        return dout


class Sigmoid:
    def forward(self, x):
        raise ValueError("cannot decode \udcff here")

    def backward(self, dout):
        return dout
