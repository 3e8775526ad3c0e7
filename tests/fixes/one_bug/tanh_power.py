"""One bug: (1 - h)**2 where 1 - h**2 belongs (the exponent on the wrong term)."""
import numpy as np


class Tanh:
    def forward(self, x):
        self.h = np.tanh(x)
        return self.h

    def backward(self, grad_output):
        return grad_output * (1 - self.h) ** 2
