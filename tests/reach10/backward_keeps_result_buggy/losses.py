"""A loss whose backward takes nothing: it reads the predictions and targets forward kept and leaves the
gradient in self.dinputs, as the nnfs book's layers do, returning nothing."""
import numpy as np


class MSE:
    def forward(self, y_pred, y_true):
        self.y_pred, self.y_true = y_pred, y_true
        return np.mean((y_pred - y_true) ** 2)

    def backward(self):
        self.dinputs = 2 * (self.y_true - self.y_pred) / self.y_pred.size
