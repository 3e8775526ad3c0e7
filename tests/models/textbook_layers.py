"""Layers in the textbook's class style, a helper module the textbook nets next to it import."""

import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class SoftmaxWithLoss:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        shifted = x - x.max(axis=1, keepdims=True)
        self.y = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        self.t = t if t.ndim == 1 else t.argmax(axis=1)
        N = x.shape[0]
        return -np.log(self.y[np.arange(N), self.t] + 1e-7).mean()

    def backward(self, dout=1):
        N = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(N), self.t] -= 1
        return dout * dx / N


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.running_mean = self.running_var = None
        self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        if self.running_mean is None:
            self.running_mean, self.running_var = np.zeros(x.shape[1]), np.zeros(x.shape[1])
        if train_flg:
            mu, var = x.mean(axis=0), x.var(axis=0)
            self.std = np.sqrt(var + 1e-7)
            self.xn = (x - mu) / self.std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            self.xn = (x - self.running_mean) / np.sqrt(self.running_var + 1e-7)
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = (dout * self.xn).sum(axis=0)
        dxn = dout * self.gamma
        return (N * dxn - dxn.sum(axis=0) - self.xn * (dxn * self.xn).sum(axis=0)) / (N * self.std)


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio, self.mask = dropout_ratio, None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask
