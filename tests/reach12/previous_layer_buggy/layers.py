import numpy as np


class SigmoidLayer:
    """Keeps only its output; backward reads its input from the layer before it (prev_layer.output)."""

    def forward(self, X):
        self.output = 1.0 / (1.0 + np.exp(-X))
        return self.output

    def backward(self, d_prev, prev_layer):
        s = 1.0 / (1.0 + np.exp(-prev_layer.output))
        return d_prev * s


class FlattenLayer:
    def forward(self, X):
        self.output = X.reshape(X.shape[0], -1)
        return self.output

    def backward(self, d_prev, prev_layer):
        return d_prev.T.reshape(prev_layer.output.shape)
