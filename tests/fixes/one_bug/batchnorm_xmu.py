"""Batch norm kept step by step; one bug: dgamma uses the centred input, not the normalised one."""
import numpy as np


class BatchNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x, train_flg=True):
        self.mu = x.mean(axis=0)
        self.xmu = x - self.mu
        self.var = (self.xmu ** 2).mean(axis=0)
        self.ivar = 1.0 / np.sqrt(self.var + self.eps)
        self.xhat = self.xmu * self.ivar
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (dout * self.xmu).sum(axis=0)
        dxhat = dout * self.gamma
        return self.ivar / N * (N * dxhat - dxhat.sum(axis=0) - self.xhat * (dxhat * self.xhat).sum(axis=0))
