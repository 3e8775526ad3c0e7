"""Buggy layers of CS231n's assignment 2 and the added activations: one real student mistake each.

Each is its correct counterpart of `a2_functions.py` with ONE bug, registered with the bug code
gradlab must diagnose.
"""

import math

import numpy as np

from gradlab.reference.a2_functions import (
    _normalise,
    _normalise_backward,
    affine_backward,
    affine_forward,
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_forward,
)
from gradlab.registry import register_pair


def batchnorm_forward(x, gamma, beta, bn_param):
    xhat, std = _normalise(x, (0,), bn_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, gamma, std)


def batchnorm_backward_alt_no_mean(dout, cache):
    xhat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    N = dout.shape[0]
    dx = gamma * (N * dout - dbeta - xhat * dgamma) / std  # BUG: the 1/N of the batch statistics is gone
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    xhat, std = _normalise(x, (1,), ln_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, gamma, std)


def layernorm_backward_no_mean_path(dout, cache):
    xhat, gamma, std = cache
    dxhat = dout * gamma
    D = xhat.shape[1]
    # BUG: the sample mean depends on x too; its term, - dxhat.sum(axis=1, keepdims=True) / D, is missing
    dx = (dxhat - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True) / D) / std
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def layernorm_forward_over_batch(x, gamma, beta, ln_param):
    xhat, std = _normalise(x, (0,), ln_param.get("eps", 1e-5))  # BUG: batch norm's axis, not the sample's
    return gamma * xhat + beta, (xhat, gamma, std)


def layernorm_backward_over_batch(dout, cache):
    xhat, gamma, std = cache
    dx = _normalise_backward(dout * gamma, xhat, std, (0,))
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    xhat, std = _normalise(flat, (0,), bn_param.get("eps", 1e-5))
    out = (gamma * xhat + beta).reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out, (xhat, gamma, std)


def spatial_batchnorm_backward_not_transposed_back(dout, cache):
    xhat, gamma, std = cache
    N, C, H, W = dout.shape
    flat = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx = _normalise_backward(flat * gamma, xhat, std, (0,))
    dx = dx.reshape(N, C, H, W)  # BUG: (N*H*W, C) rows put back without the transpose to (N, H, W, C)
    return dx, np.sum(flat * xhat, axis=0), np.sum(flat, axis=0)


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    N, C, H, W = x.shape
    xhat, std = _normalise(x.reshape(N, G, C // G, H, W), (2, 3, 4), gn_param.get("eps", 1e-5))
    out = gamma.reshape(1, C, 1, 1) * xhat.reshape(x.shape) + beta.reshape(1, C, 1, 1)
    return out, (xhat, gamma, std)


def spatial_groupnorm_backward_dbeta_all_axes(dout, cache):
    xhat, gamma, std = cache
    C = dout.shape[1]
    dgamma = np.sum(dout * xhat.reshape(dout.shape), axis=(0, 2, 3)).reshape(gamma.shape)
    dbeta = np.sum(dout)  # BUG: summed over every axis; beta has one entry per channel
    dx = _normalise_backward((dout * gamma.reshape(1, C, 1, 1)).reshape(xhat.shape), xhat, std, (2, 3, 4))
    return dx.reshape(dout.shape), dgamma, dbeta


def gelu_forward(x):
    t = np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3))
    return 0.5 * x * (1.0 + t), (x, t)


def gelu_backward_no_product_rule(dout, cache):
    x, t = cache
    return dout * 0.5 * (1.0 + t)  # BUG: the x · d(tanh)/dx term of the product rule is missing


def avg_pool_forward(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
    return out, (x.shape, pool_param)


def avg_pool_backward_not_divided(dout, cache):
    shape, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += dout[:, :, i:i + 1, j:j + 1]  # BUG: no / (ph * pw)
    return dx


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward_db_wrong_axis(dout, cache):
    fc_cache, a = cache
    da = dout * (a > 0)
    dx, dw, _ = affine_backward(da, fc_cache)
    return dx, dw, np.sum(da, axis=1)  # BUG: summed over the features; the bias is shared over the batch


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    a, fc_cache = affine_forward(x, w, b)
    an, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward_no_mean(dout, cache):
    fc_cache, (xhat, gamma, std), an = cache
    dan = dout * (an > 0)
    dgamma, dbeta = np.sum(dan * xhat, axis=0), np.sum(dan, axis=0)
    N = dout.shape[0]
    da = gamma * (N * dan - dbeta - xhat * dgamma) / std  # BUG: batchnorm_backward_alt's / N is missing
    return (*affine_backward(da, fc_cache), dgamma, dbeta)


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    a, fc_cache = affine_forward(x, w, b)
    an, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, ln_cache, relu_cache)


def affine_ln_relu_backward_dgamma_unreduced(dout, cache):
    fc_cache, (xhat, gamma, std), an = cache
    dan = dout * (an > 0)
    da = _normalise_backward(dan * gamma, xhat, std, (1,))
    return (*affine_backward(da, fc_cache), dan * xhat, np.sum(dan, axis=0))  # BUG: dgamma not summed over the batch


def conv_relu_forward(x, w, b, conv_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward_db_per_position(dout, cache):
    conv_cache, a = cache
    dx, dw, _ = conv_backward_naive(dout * (a > 0), conv_cache)
    db = np.sum(dout * (a > 0), axis=0).sum(axis=(1, 2)) / dout.shape[0]  # BUG: a mean over the batch, not a sum
    return dx, dw, db


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_naive(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward_flipped(dout, cache):
    conv_cache, a, pool_cache = cache
    ds = max_pool_backward_naive(dout, pool_cache)
    dx, dw, db = conv_backward_naive(ds * (a > 0), conv_cache)
    return dx, -dw, db  # BUG: dw negated (a descent step's sign taken into the gradient)


register_pair(batchnorm_forward, batchnorm_backward_alt_no_mean, kind="batchnorm", bug="missing-batch-mean",
              name="batchnorm_alt_no_mean")
register_pair(layernorm_forward, layernorm_backward_no_mean_path, kind="layernorm", bug="dropped-term",
              name="layernorm_no_mean_path")
register_pair(layernorm_forward_over_batch, layernorm_backward_over_batch, kind="layernorm", bug="couples-samples",
              name="layernorm_over_batch")
register_pair(spatial_batchnorm_forward, spatial_batchnorm_backward_not_transposed_back, kind="spatial_batchnorm",
              bug="transposed", name="spatial_batchnorm_dx_not_transposed_back")
register_pair(spatial_groupnorm_forward, spatial_groupnorm_backward_dbeta_all_axes, kind="spatial_groupnorm",
              bug="wrong-reduction", name="spatial_groupnorm_dbeta_all_axes")
register_pair(gelu_forward, gelu_backward_no_product_rule, kind="gelu", bug="dropped-term",
              name="gelu_no_product_rule")
register_pair(avg_pool_forward, avg_pool_backward_not_divided, kind="avg_pool", bug="scaled",
              name="avg_pool_not_divided")
register_pair(affine_relu_forward, affine_relu_backward_db_wrong_axis, kind="affine_relu", bug="wrong-reduction",
              name="affine_relu_db_wrong_axis")
register_pair(affine_bn_relu_forward, affine_bn_relu_backward_no_mean, kind="affine_bn_relu",
              bug="missing-batch-mean", name="affine_bn_relu_no_mean")
register_pair(affine_ln_relu_forward, affine_ln_relu_backward_dgamma_unreduced, kind="affine_ln_relu",
              bug="wrong-reduction", name="affine_ln_relu_dgamma_not_summed")
register_pair(conv_relu_forward, conv_relu_backward_db_per_position, kind="conv_relu", bug="extra-batch-mean",
              name="conv_relu_db_batch_mean")
register_pair(conv_relu_pool_forward, conv_relu_pool_backward_flipped, kind="conv_relu_pool", bug="sign-flip",
              name="conv_relu_pool_flipped_dw")


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    xhat, std = _normalise(a, (0, 2, 3), bn_param.get("eps", 1e-5))
    out, relu_cache = relu_forward(gamma.reshape(1, -1, 1, 1) * xhat + beta.reshape(1, -1, 1, 1))
    return out, (conv_cache, (xhat, gamma.reshape(1, -1, 1, 1), std), relu_cache)


def conv_bn_relu_backward_dbeta_over_batch_only(dout, cache):
    conv_cache, (xhat, g, std), an = cache
    dan = dout * (an > 0)
    da = _normalise_backward(dan * g, xhat, std, (0, 2, 3))
    dx, dw, db = conv_backward_naive(da, conv_cache)
    return dx, dw, db, np.sum(dan * xhat, axis=(0, 2, 3)), np.sum(dan, axis=0)  # BUG: dbeta keeps H and W


register_pair(conv_bn_relu_forward, conv_bn_relu_backward_dbeta_over_batch_only, kind="conv_bn_relu",
              bug="wrong-reduction", name="conv_bn_relu_dbeta_keeps_h_w")
