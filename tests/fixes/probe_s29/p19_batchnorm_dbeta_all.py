import numpy as np


class BatchNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x):
        self.mu = x.mean(axis=0)
        self.var = x.var(axis=0)
        self.xhat = (x - self.mu) / np.sqrt(self.var + self.eps)
        return self.gamma * self.xhat + self.beta

    def backward(self, dy):
        n = dy.shape[0]
        self.dgamma = np.sum(dy * self.xhat, axis=0)
        self.dbeta = np.sum(dy)
        dxhat = dy * self.gamma
        inv = 1.0 / np.sqrt(self.var + self.eps)
        return inv / n * (n * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))
