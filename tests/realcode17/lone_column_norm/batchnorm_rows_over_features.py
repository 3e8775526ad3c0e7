"""A batch norm for samples as rows whose statistics are taken over each sample's features (axis 1), its
parameter gradients rightly over the batch: the layer-norm slip, which stays a bug of rows."""
import numpy as np


class BatchNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma = gamma
        self.beta = beta
        self.eps = eps

    def forward(self, x):
        self.mu = x.mean(axis=1, keepdims=True)
        self.var = x.var(axis=1, keepdims=True)
        self.inv = 1.0 / np.sqrt(self.var + self.eps)
        self.xn = (x - self.mu) * self.inv
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        n = dout.shape[1]
        self.dgamma = np.sum(dout * self.xn, axis=0)
        self.dbeta = np.sum(dout, axis=0)
        dxn = dout * self.gamma
        return self.inv / n * (n * dxn - dxn.sum(axis=1, keepdims=True)
                               - self.xn * np.sum(dxn * self.xn, axis=1, keepdims=True))
