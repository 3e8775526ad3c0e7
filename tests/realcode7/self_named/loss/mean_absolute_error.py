import numpy as np

from loss.loss import Loss


class Loss_MeanAbsoluteError(Loss):
    """Its gradient forgets the 1/outputs of the mean over outputs."""

    def forward(self, y_pred, y_true):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def backward(self, dvalues, y_true):
        self.dinputs = np.sign(dvalues - y_true) / len(dvalues)
