import numpy as np


class L1Loss:
    """Mean absolute error over the batch; the backward takes the sign of the predictions, not of the residual."""

    def forward(self, y, t):
        self.y, self.t = y, t
        return np.sum(np.abs(y - t)) / y.shape[0]

    def backward(self, dout=1):
        return dout * np.sign(self.y) / self.y.shape[0]
