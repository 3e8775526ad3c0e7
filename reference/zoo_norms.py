"""Buggy normalisation layers whose backward gets one part of the gradient wrong, read part by part.

In each normalised group dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ: a direct part, the mean's path and the
variance's path (`gradlab.kinds.normalising.StatsPathReader`). One slip each, in the CS231n graph style, its
closed form, or the textbook's walk back through dxn, dxc, dstd, dvar, dmu, in both conventions: a path of the
wrong sign (`sign-flip`), the variance's path with N − 1 or eps left out of the backward's σ (`scaled`), the
variance's term reading x − mean where x̂ belongs (`wrong-input`), the mean's path along the wrong axis
(`couples-samples`).
"""

import numpy as np

from gradlab.registry import register, register_pair

class _TextbookBatchNorm:
    """The textbook's training forward; each variant below writes its own backward."""

    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.xc = self.std = self.xn = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        self.xc = x - x.mean(axis=0)
        self.std = np.sqrt(np.mean(self.xc ** 2, axis=0) + 1e-7)
        self.xn = self.xc / self.std
        return self.gamma * self.xn + self.beta


@register("batchnorm", bug="sign-flip", note="dstd = +sum(dxn * xc) / std**2: the variance's path added, not subtracted")
class BatchNormalizationVariancePathSign(_TextbookBatchNorm):
    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = np.sum(dxn * self.xc / (self.std * self.std), axis=0)  # BUG: std is in the denominator: -sum(...)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / N) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / N


@register("batchnorm", bug="scaled", note="std = sqrt(var) in backward: eps left out of the backward's sigma")
class BatchNormalizationBackwardWithoutEps(_TextbookBatchNorm):
    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        std = np.sqrt(np.mean(self.xc ** 2, axis=0))  # BUG: forward's std is sqrt(var + eps)
        dxn = self.gamma * dout
        return (N * dxn - dxn.sum(axis=0) - self.xc / std * np.sum(dxn * self.xc / std, axis=0)) / (N * std)


@register("batchnorm", bug="wrong-input", note="closed form with xc where xn belongs in the variance's term")
class BatchNormalizationCentredForNormalised(_TextbookBatchNorm):
    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        return (N * dxn - dxn.sum(axis=0) - self.xc * np.sum(dxn * self.xc, axis=0)) / (N * self.std)  # BUG: xn


@register("layernorm", bug="couples-samples", note="the mean's path summed over axis 0, the batch")
class LayerNormMeanPathOverBatch:
    def __init__(self, gamma, beta):
        self.gamma, self.beta = gamma, beta
        self.xn = self.std = self.dgamma = self.dbeta = None

    def forward(self, x):
        xc = x - x.mean(axis=1, keepdims=True)
        self.std = np.sqrt(np.mean(xc ** 2, axis=1, keepdims=True) + 1e-5)
        self.xn = xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dx = dxn - dxn.mean(axis=0, keepdims=True)  # BUG: a sample's statistics are over its features, axis 1
        return (dx - self.xn * np.mean(dxn * self.xn, axis=1, keepdims=True)) / self.std


def batchnorm_forward_graph(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    N, D = x.shape
    mu = 1.0 / N * np.sum(x, axis=0)
    xmu = x - mu
    var = 1.0 / N * np.sum(xmu ** 2, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    return gamma * xhat + beta, (xhat, gamma, xmu, ivar, sqrtvar)


def batchnorm_backward_graph_dmean_sign(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dvar = 0.5 * ivar * (-1.0 / sqrtvar ** 2 * divar)
    dxmu2 = 2 * xmu * np.ones((N, D)) / N * dvar
    dmu = np.sum(dxmu1 + dxmu2, axis=0)  # BUG: mu is subtracted, so dmu = -sum(dxmu1 + dxmu2)
    return dxmu1 + dxmu2 + np.ones((N, D)) / N * dmu, dgamma, dbeta


def batchnorm_backward_graph_unbiased(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dvar = 0.5 * ivar * (-1.0 / sqrtvar ** 2 * divar)
    dxmu2 = 2 * xmu * np.ones((N, D)) / (N - 1) * dvar  # BUG: forward's var divides by N (np.var, ddof=0)
    dmu = -np.sum(dxmu1 + dxmu2, axis=0)
    return dxmu1 + dxmu2 + np.ones((N, D)) / N * dmu, dgamma, dbeta


def batchnorm_backward_graph_mean_over_features(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dvar = 0.5 * ivar * (-1.0 / sqrtvar ** 2 * divar)
    dxmu2 = 2 * xmu * np.ones((N, D)) / N * dvar
    dmu = -np.sum(dxmu1 + dxmu2, axis=1, keepdims=True)  # BUG: mu is each feature's mean, over axis 0
    return dxmu1 + dxmu2 + np.ones((N, D)) / N * dmu, dgamma, dbeta


def layernorm_forward_closed(x, gamma, beta, ln_param):
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + ln_param.get("eps", 1e-5))
    xhat = (x - mu) / std
    return gamma * xhat + beta, (x, xhat, gamma, std)


def layernorm_backward_closed_without_eps(dout, cache):
    x, xhat, gamma, std = cache
    D = x.shape[1]
    std = x.std(axis=1, keepdims=True)  # BUG: recomputed without forward's eps
    xhat = (x - x.mean(axis=1, keepdims=True)) / std
    dxhat = dout * gamma
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * (dxhat * xhat).sum(axis=1, keepdims=True)) / (D * std)
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


def layernorm_backward_closed_raw_input(dout, cache):
    x, xhat, gamma, std = cache
    D = x.shape[1]
    dxhat = dout * gamma
    dx = (D * dxhat - dxhat.sum(axis=1, keepdims=True) - x * (dxhat * x).sum(axis=1, keepdims=True)) / (D * std)  # BUG
    return dx, np.sum(dout * xhat, axis=0), dout.sum(axis=0)


register_pair(batchnorm_forward_graph, batchnorm_backward_graph_dmean_sign, kind="batchnorm", bug="sign-flip",
              name="batchnorm_graph_dmean_sign", note="dmu = +sum(...): the mean's path added, not subtracted")
register_pair(batchnorm_forward_graph, batchnorm_backward_graph_unbiased, kind="batchnorm", bug="scaled",
              name="batchnorm_graph_unbiased_variance", note="the variance's path with 1/(N - 1) where forward has 1/N")
register_pair(batchnorm_forward_graph, batchnorm_backward_graph_mean_over_features, kind="batchnorm",
              bug="couples-samples", name="batchnorm_graph_mean_over_features",
              note="dmu summed over axis 1: the mean's path along each sample's features")
register_pair(layernorm_forward_closed, layernorm_backward_closed_without_eps, kind="layernorm", bug="scaled",
              name="layernorm_backward_without_eps", note="std recomputed as x.std(axis=1): eps left out")
register_pair(layernorm_forward_closed, layernorm_backward_closed_raw_input, kind="layernorm", bug="wrong-input",
              name="layernorm_variance_term_of_x", note="x where x_hat belongs in the variance's term")
