"""A small transformer library's building blocks, written the way such libraries are: parameters are objects holding
their array and its gradient, layers are built from sizes and a random generator, and a layer's backward frees what
its forward kept."""
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Param:
    data: np.ndarray
    gradient: np.ndarray = field(init=False)

    def __post_init__(self):
        self.gradient = np.zeros_like(self.data)


class Module:
    def __init__(self):
        self.params = []

    def param(self, name, array):
        setattr(self, name, Param(array))
        self.params.append(getattr(self, name))

    def __call__(self, *args):
        return self.forward(*args)

    def train(self, verbose=False):
        self.training = True
        if verbose:
            print(f"{type(self).__name__} now trains")
