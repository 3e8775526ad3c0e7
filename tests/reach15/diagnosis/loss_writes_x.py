import numpy as np


class MeanSquaredError:
    """Half the squared error, mean over the batch; the backward subtracts the targets from the stored input."""

    def forward(self, x, t):
        self.x, self.t = x, t
        return 0.5 * np.sum((x - t) ** 2) / x.shape[0]

    def backward(self, dout=1):
        self.x -= self.t
        return dout * self.x / self.x.shape[0]
