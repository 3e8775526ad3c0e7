"""Mean squared error, importing its base as `from loss import loss` from the folder above (no __init__.py here)."""
import numpy as np

from loss import loss


class MeanSquaredError(loss.Loss):
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        self.dinputs = -2 * (y_true - dvalues) / outputs / samples
        return self.dinputs
