"""Layers that take their functions from the course's package, which is not beside this file."""
import numpy as np
from course_lib_not_here.functions import *


class Sigmoid:
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)
