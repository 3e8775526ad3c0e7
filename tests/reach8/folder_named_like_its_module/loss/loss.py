"""The base class of the losses in this folder, in a module named as the folder (nnfs learners' loss/loss.py)."""
import numpy as np


class Loss:
    def calculate(self, output, y):
        return np.mean(self.forward(output, y))
