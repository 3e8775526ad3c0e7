"""Textbook-style layers in a learner's copy that moves into its own folder first, so data paths work from anywhere."""
import os
import sys

os.chdir(os.path.dirname(os.path.abspath(__file__)))
sys.path.append(os.pardir)
import numpy as np  # noqa: E402


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.0)  # the mask read the wrong way round
