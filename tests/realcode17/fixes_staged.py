"""A learner's CS231n batch norm whose backward goes stage by stage: the variance's path, then the mean's, each a name
of its own. Correct; the fix tests write one slip into a copy (the mean's path left out of dx)."""
import numpy as np


def batchnorm_forward(x, gamma, beta, bn_param):
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    mean = bn_param.get("running_mean", np.zeros(x.shape[1]))
    var = bn_param.get("running_var", np.zeros(x.shape[1]))
    if bn_param["mode"] == "train":
        mu, sigma2 = x.mean(axis=0), x.var(axis=0)
        xc = x - mu
        std = np.sqrt(sigma2 + eps)
        xn = xc / std
        bn_param["running_mean"] = momentum * mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * var + (1 - momentum) * sigma2
        return gamma * xn + beta, (xc, std, xn, gamma)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta, None


def batchnorm_backward(dout, cache):
    xc, std, xn, gamma = cache
    m = dout.shape[0]
    dgamma = np.sum(dout * xn, axis=0)
    dbeta = np.sum(dout, axis=0)
    dxn = dout * gamma
    dsigma2 = np.sum(dxn * xc, axis=0) * -0.5 * std ** -3
    dmu = -np.sum(dxn / std, axis=0) - 2.0 * dsigma2 * np.mean(xc, axis=0)
    dx = dxn / std + dsigma2 * 2.0 * xc / m + dmu / m
    return dx, dgamma, dbeta
