"""Buggy twin: the same alternative backward paired with a forward of the course's signature, its dbeta doubled."""
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    mu, var = x.mean(axis=0), x.var(axis=0)
    xh = (x - mu) / np.sqrt(var + 1e-5)
    return gamma * xh + beta, (xh, gamma, var)


def batchnorm_backward(dout, cache):
    xh, gamma, var = cache
    d = dout * gamma
    dx = (d - d.mean(axis=0) - xh * (d * xh).mean(axis=0)) / np.sqrt(var + 1e-5)
    return dx, (dout * xh).sum(axis=0), dout.sum(axis=0)


def batchnorm_backward_alt(dout, cache):
    dx, dgamma, dbeta = batchnorm_backward(dout, cache)
    return dx, dgamma, 2 * dbeta
