"""A learner's layer norm as a class keeping its scale and shift as attributes, the gradient of the normalised input
bound to a name of its own. Correct; the fix tests write one slip into a copy (that gradient bound to the upstream
gradient alone, without the scale the forward multiplied its output by)."""
import numpy as np


class LayerNorm:
    def __init__(self, features, eps=1e-5):
        self.gamma = np.ones(features)
        self.beta = np.zeros(features)
        self.eps = eps

    def forward(self, x):
        mu = x.mean(axis=1, keepdims=True)
        self.inv = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + self.eps)
        self.xn = (x - mu) * self.inv
        return self.xn * self.gamma + self.beta

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.xn, axis=0)
        self.dbeta = np.sum(dout, axis=0)
        dxn = dout * self.gamma
        D = dxn.shape[1]
        return self.inv / D * (D * dxn - dxn.sum(axis=1, keepdims=True)
                               - self.xn * (dxn * self.xn).sum(axis=1, keepdims=True))
