"""A learner's layers whose slips, when there are, sit in what forward computes: a softmax loss over log-probabilities,
a batch norm class keeping its standard deviation, and an exact GELU with its normal density written out. Correct;
the fix tests write one slip into a copy."""
import math

import numpy as np

_erf = np.vectorize(math.erf)


def softmax_loss(x, y):
    logits = x - np.max(x, axis=1, keepdims=True)
    logp = logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))
    n = x.shape[0]
    loss = -logp[np.arange(n), y].mean()
    dx = np.exp(logp)
    dx[np.arange(n), y] -= 1.0
    return loss, dx / n


class BatchNorm:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps

    def forward(self, x):
        self.sd = np.sqrt(x.var(axis=0) + self.eps)
        self.xhat = (x - x.mean(axis=0)) / self.sd
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        n = dout.shape[0]
        self.dgamma = (dout * self.xhat).sum(axis=0)
        self.dbeta = dout.sum(axis=0)
        g = dout * self.gamma
        return (n * g - g.sum(axis=0) - self.xhat * (g * self.xhat).sum(axis=0)) / (n * self.sd)


class GELU:
    def forward(self, x):
        self.x = x
        return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))

    def backward(self, dout):
        x = self.x
        cdf = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
        pdf = np.exp(-(x * x) / 2) / math.sqrt(2.0 * math.pi)
        return dout * (cdf + x * pdf)


class Softmax:
    def forward(self, x):
        self.p = np.exp(x - x.max(axis=1, keepdims=True))
        self.p /= self.p.sum(axis=1, keepdims=True)
        return self.p

    def backward(self, dout):
        p = self.p
        return p * (dout - np.sum(dout * p, axis=1, keepdims=True))


def softmax_forward(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    return y, y


def softmax_backward(dout, cache):
    dx = np.empty_like(dout)
    for i, (yi, gi) in enumerate(zip(cache, dout)):
        jac = np.diagflat(yi) - np.outer(yi, yi)
        dx[i] = jac @ gi
    return dx


def gelu_forward(x):
    return x * 0.5 * (1.0 + _erf(x / np.sqrt(2.0))), x


def gelu_backward(dout, cache):
    x = cache
    slope = 0.5 * (1.0 + _erf(x / np.sqrt(2.0))) + x * np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)
    return dout * slope
