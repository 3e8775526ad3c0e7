"""CS231n's spatial group norm, gamma and beta of shape (1, C, 1, 1) as the notebook gives them; ONE bug: dgamma is
summed without keepdims=True, so it comes back (C,), the right values in another shape (held-out set 14, b008)."""

import numpy as np


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    grouped = x.reshape(N, G, C // G, H, W)
    mu = grouped.mean(axis=(2, 3, 4), keepdims=True)
    sigma = np.sqrt(grouped.var(axis=(2, 3, 4), keepdims=True) + eps)
    x_hat = ((grouped - mu) / sigma).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, sigma, G)


def spatial_groupnorm_backward(dout, cache):
    x_hat, gamma, sigma, G = cache
    N, C, H, W = dout.shape
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3))  # BUG: (C,), where gamma is (1, C, 1, 1)
    dbeta = np.sum(dout, axis=(0, 2, 3), keepdims=True)
    g_hat = (dout * gamma).reshape(N, G, C // G, H, W)
    xg = x_hat.reshape(N, G, C // G, H, W)
    dx = (g_hat - g_hat.mean(axis=(2, 3, 4), keepdims=True)
          - xg * (g_hat * xg).mean(axis=(2, 3, 4), keepdims=True)) / sigma
    return dx.reshape(N, C, H, W), dgamma, dbeta
