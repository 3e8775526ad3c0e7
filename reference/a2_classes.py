"""Correct class-style layers for the kinds of CS231n's assignment 2 and the activations courses add:
`LayerNorm(gamma, beta)`, `SpatialBatchNorm(gamma, beta)`, `GroupNorm(gamma, beta, G)`, `GELU`,
`AvgPool2D(pool_h, pool_w, stride)`; written as the textbook writes its layers (`forward(x)`,
`backward(dout)` returning dx, parameter gradients left in `dgamma`/`dbeta`).
"""

import math

import numpy as np

from gradlab.registry import register


def _normalise_backward(dxhat, xhat, std, axes):
    m = math.prod(xhat.shape[a] for a in axes)
    return (dxhat - dxhat.sum(axis=axes, keepdims=True) / m
            - xhat * np.sum(dxhat * xhat, axis=axes, keepdims=True) / m) / std


@register("layernorm")
class LayerNorm:
    """Each sample normalised over its features, then scaled and shifted per feature."""

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.xhat = self.std = self.dgamma = self.dbeta = None

    def forward(self, x):
        self.std = np.sqrt(x.var(axis=1, keepdims=True) + self.eps)
        self.xhat = (x - x.mean(axis=1, keepdims=True)) / self.std
        return self.gamma * self.xhat + self.beta

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.xhat, axis=0)
        self.dbeta = np.sum(dout, axis=0)
        return _normalise_backward(dout * self.gamma, self.xhat, self.std, (1,))


@register("spatial_batchnorm")
class SpatialBatchNorm:
    """Batch normalisation of (N, C, H, W) per channel, over N, H and W (training mode)."""

    def __init__(self, gamma, beta, eps=1e-5):
        self.gamma, self.beta, self.eps = gamma, beta, eps
        self.xhat = self.std = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        self.std = np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + self.eps)
        self.xhat = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / self.std
        return self.gamma.reshape(1, -1, 1, 1) * self.xhat + self.beta.reshape(1, -1, 1, 1)

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.xhat, axis=(0, 2, 3))
        self.dbeta = np.sum(dout, axis=(0, 2, 3))
        dxhat = dout * self.gamma.reshape(1, -1, 1, 1)
        return _normalise_backward(dxhat, self.xhat, self.std, (0, 2, 3))


@register("spatial_groupnorm")
class GroupNorm:
    """G groups of C // G channels per sample, each normalised over its channels, H and W; gamma and
    beta of shape (1, C, 1, 1) or (C,), their gradients in the same shape."""

    def __init__(self, gamma, beta, G, eps=1e-5):
        self.gamma, self.beta, self.G, self.eps = gamma, beta, G, eps
        self.xhat = self.std = self.dgamma = self.dbeta = None

    def forward(self, x):
        N, C, H, W = x.shape
        groups = x.reshape(N, self.G, C // self.G, H, W)
        self.std = np.sqrt(groups.var(axis=(2, 3, 4), keepdims=True) + self.eps)
        self.xhat = (groups - groups.mean(axis=(2, 3, 4), keepdims=True)) / self.std
        return self.gamma.reshape(1, C, 1, 1) * self.xhat.reshape(x.shape) + self.beta.reshape(1, C, 1, 1)

    def backward(self, dout):
        C = dout.shape[1]
        self.dgamma = np.sum(dout * self.xhat.reshape(dout.shape), axis=(0, 2, 3)).reshape(self.gamma.shape)
        self.dbeta = np.sum(dout, axis=(0, 2, 3)).reshape(self.beta.shape)
        dxhat = (dout * self.gamma.reshape(1, C, 1, 1)).reshape(self.xhat.shape)
        return _normalise_backward(dxhat, self.xhat, self.std, (2, 3, 4)).reshape(dout.shape)


@register("gelu")
class GELU:
    """The exact GELU, x·Φ(x), with Φ the standard normal distribution function."""

    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        erf = np.vectorize(math.erf, otypes=[float])
        return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))

    def backward(self, dout):
        x = self.x
        erf = np.vectorize(math.erf, otypes=[float])
        cdf = 0.5 * (1.0 + erf(x / math.sqrt(2.0)))
        pdf = np.exp(-0.5 * x ** 2) / math.sqrt(2.0 * math.pi)
        return dout * (cdf + x * pdf)


@register("avg_pool")
class AvgPool2D:
    """Average pooling over pool_h x pool_w windows (which may overlap), without padding."""

    def __init__(self, pool_h, pool_w, stride=1):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride
        self.x_shape = None

    def forward(self, x):
        self.x_shape = x.shape
        N, C, H, W = x.shape
        s, ph, pw = self.stride, self.pool_h, self.pool_w
        out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s), dtype=x.dtype)
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
        return out

    def backward(self, dout):
        s, ph, pw = self.stride, self.pool_h, self.pool_w
        dx = np.zeros(self.x_shape, dtype=dout.dtype)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
        return dx
