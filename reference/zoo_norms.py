"""Buggy normalisation layers whose backward gets one part of the gradient wrong, read part by part.

In each normalised group dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ: a direct part, the mean's path and the
variance's path (`gradlab.kinds.normalising.StatsPathReader`). One slip each, in the CS231n graph style, its
closed form, or the textbook's walk back through dxn, dxc, dstd, dvar, dmu, in both conventions: a path of the
wrong sign (`sign-flip`), the variance's path with N − 1 or eps left out of the backward's σ (`scaled`), the
variance's term reading x − mean where x̂ belongs (`wrong-input`), the mean's path along the wrong axis
(`couples-samples`).

At the end, normalisations over the wrong axes in forward and backward alike (`couples-samples`): every gradient
agrees with its forward, and only the kind's forward law (`gradlab.kinds.norm_law.NormLaw`) tells.
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


# ---------------------------------------------------------------------------------------------------------
# the wrong groups, forward and backward alike: only the forward law can tell


def _over(y, axes, eps):
    """y normalised over `axes`, with the std it was divided by (dims kept)."""
    std = np.sqrt(y.var(axis=axes, keepdims=True) + eps)
    return (y - y.mean(axis=axes, keepdims=True)) / std, std


def _over_back(dyhat, yhat, std, axes):
    """The backward of `_over`, over the same axes."""
    mean = lambda a: a.mean(axis=axes, keepdims=True)  # noqa: E731
    return (dyhat - mean(dyhat) - yhat * mean(dyhat * yhat)) / std


@register("layernorm", bug="couples-samples", note="statistics over axis 0 in forward and backward: a batch norm")
class LayerNormOverBatch:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.xhat = self.std = self.dgamma = self.dbeta = None

    def forward(self, x):
        self.xhat, self.std = _over(x, 0, self.eps)  # BUG: a sample's statistics are over its features, axis 1
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma, self.dbeta = np.sum(dout * self.xhat, axis=0), dout.sum(axis=0)
        return _over_back(dout * self.gamma, self.xhat, self.std, 0)


def layernorm_forward_batch_axis(x, gamma, beta, ln_param):
    # BUG: batch norm's code kept as it was: a layer norm takes each sample's statistics over axis 1
    xhat, std = _over(x, 0, ln_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, gamma, std)


def layernorm_backward_batch_axis(dout, cache):
    xhat, gamma, std = cache
    return _over_back(dout * gamma, xhat, std, 0), np.sum(dout * xhat, axis=0), dout.sum(axis=0)


@register("spatial_batchnorm", bug="couples-samples",
          note="x.reshape(N, -1) normalised over axis 0: one mean per position, not per channel")
class SpatialBatchNormPerPosition:
    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.xhat = self.std = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        flat = x.reshape(x.shape[0], -1)  # BUG: the textbook's flattening keeps H and W apart from the channel
        xhat, self.std = _over(flat, 0, self.eps)
        self.xhat = xhat.reshape(x.shape)
        return self.gamma.reshape(1, -1, 1, 1) * self.xhat + self.beta.reshape(1, -1, 1, 1)

    def backward(self, dout):
        self.dgamma, self.dbeta = np.sum(dout * self.xhat, axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
        N = dout.shape[0]
        dxhat = (dout * self.gamma.reshape(1, -1, 1, 1)).reshape(N, -1)
        return _over_back(dxhat, self.xhat.reshape(N, -1), self.std, 0).reshape(dout.shape)


def spatial_batchnorm_forward_channels_unmoved(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    # BUG: x.transpose(0, 2, 3, 1) belongs before the reshape, so that each column holds one channel
    out, cache = batchnorm_forward_graph(x.reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(x.shape), cache


def spatial_batchnorm_backward_channels_unmoved(dout, cache):
    xhat, gamma, xmu, ivar, sqrtvar = cache
    flat = dout.reshape(-1, dout.shape[1])  # the same reshape as forward, so backward matches it
    dx = _over_back(flat * gamma, xhat, 1.0 / ivar, 0)
    return dx.reshape(dout.shape), np.sum(flat * xhat, axis=0), flat.sum(axis=0)


@register("spatial_groupnorm", bug="couples-samples",
          note="each channel normalised alone over H and W: an instance norm, however many groups")
class GroupNormPerChannel:
    def __init__(self, gamma, beta, G, eps=1e-5):
        self.gamma, self.beta, self.G, self.eps = gamma, beta, G, eps
        self.xhat = self.std = self.dgamma = self.dbeta = None

    def forward(self, x):
        C = x.shape[1]
        self.xhat, self.std = _over(x, (2, 3), self.eps)  # BUG: a group is C // G channels, over them, H and W
        return self.gamma.reshape(1, C, 1, 1) * self.xhat + self.beta.reshape(1, C, 1, 1)

    def backward(self, dout):
        C = dout.shape[1]
        self.dgamma = np.sum(dout * self.xhat, axis=(0, 2, 3)).reshape(self.gamma.shape)
        self.dbeta = dout.sum(axis=(0, 2, 3)).reshape(self.beta.shape)
        return _over_back(dout * self.gamma.reshape(1, C, 1, 1), self.xhat, self.std, (2, 3))


def spatial_groupnorm_forward_strided(x, gamma, beta, G, gn_param):
    N, C, H, W = x.shape
    grouped = x.reshape(N, C // G, G, H, W)  # BUG: the group axis comes first: x.reshape(N, G, C // G, H, W)
    xhat, std = _over(grouped, (1, 3, 4), gn_param.get("eps", 1e-5))
    g = gamma.reshape(1, C, 1, 1)
    return g * xhat.reshape(x.shape) + beta.reshape(1, C, 1, 1), (xhat, g, std, gamma.shape)


def spatial_groupnorm_backward_strided(dout, cache):
    xhat, g, std, shape = cache
    dgamma = np.sum(dout * xhat.reshape(dout.shape), axis=(0, 2, 3)).reshape(shape)
    dbeta = dout.sum(axis=(0, 2, 3)).reshape(shape)
    dx = _over_back((dout * g).reshape(xhat.shape), xhat, std, (1, 3, 4))
    return dx.reshape(dout.shape), dgamma, dbeta


register_pair(layernorm_forward_batch_axis, layernorm_backward_batch_axis, kind="layernorm",
              bug="couples-samples", name="layernorm_over_batch_axis",
              note="mean and variance over axis 0 in forward and backward alike: a batch norm")
register_pair(spatial_batchnorm_forward_channels_unmoved, spatial_batchnorm_backward_channels_unmoved,
              kind="spatial_batchnorm", bug="couples-samples", name="spatial_batchnorm_channels_unmoved",
              note="batch norm of x.reshape(-1, C) without the transpose, and its backward the same way")
register_pair(spatial_groupnorm_forward_strided, spatial_groupnorm_backward_strided, kind="spatial_groupnorm",
              bug="couples-samples", name="spatial_groupnorm_strided_groups",
              note="x.reshape(N, C // G, G, H, W): each group takes every G-th channel")
