import numpy as np
import torchy_not_installed
class Relu:
    def forward(self, x):
        self.m = x > 0
        return x * self.m
    def backward(self, dout):
        return dout * self.m
