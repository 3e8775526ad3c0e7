"""A learner's CS231n group norm for images, gamma and beta kept as (1, C, 1, 1) and their gradients returned in that
shape. Correct; the fix tests write one slip into a copy (both parameters' sums without keepdims)."""
import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    groups = x.reshape(N, G, -1)
    centred = groups - groups.mean(axis=2, keepdims=True)
    scale = 1.0 / np.sqrt((centred ** 2).mean(axis=2, keepdims=True) + eps)
    xn = (centred * scale).reshape(N, C, H, W)
    return gamma * xn + beta, (xn, scale, gamma, G)


def spatial_groupnorm_backward(dout, cache):
    xn, scale, gamma, G = cache
    N, C, H, W = dout.shape
    dgamma = (dout * xn).sum(axis=(0, 2, 3), keepdims=True)
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    g = (dout * gamma).reshape(N, G, -1)
    n = xn.reshape(N, G, -1)
    m = g.shape[2]
    dx = scale * (g - g.sum(axis=2, keepdims=True) / m - n * (g * n).sum(axis=2, keepdims=True) / m)
    return dx.reshape(N, C, H, W), dgamma, dbeta
