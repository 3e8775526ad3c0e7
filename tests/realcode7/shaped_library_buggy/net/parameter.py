import numpy as np


class Parameter:
    """A trained array and its gradient, kept together for the optimizer."""

    def __init__(self, shape, scale=0.0):
        self.value = np.random.randn(*shape) * scale if scale else np.zeros(shape)
        self.gradient = np.zeros(shape)
