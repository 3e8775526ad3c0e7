"""Correct function-style layers of CS231n's assignment 2 (`layers.py`, `layer_utils.py`) and the
activations courses add (GELU, average pooling), in the manner of the course.

`<name>_forward(x, *params[, param_dict...])` returns `(out, cache)`; `<name>_backward(dout, cache)`
returns `dx` or `(dx, dparam1, ...)`. Images are (N, C, H, W). The sandwich layers compose the
correct layers of `functions.py`, as `layer_utils.py` composes the student's own.
"""

import math

import numpy as np

from gradlab.reference.functions import (
    affine_backward,
    affine_forward,
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
)
from gradlab.registry import register_pair


def _normalise(x, axes, eps):
    """x̂ over `axes`, and the standard deviation it was divided by (kept dims)."""
    std = np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    return (x - x.mean(axis=axes, keepdims=True)) / std, std


def _normalise_backward(dxhat, xhat, std, axes):
    """dx from dx̂: the mean's and the variance's paths are the two subtracted terms."""
    m = math.prod(xhat.shape[a] for a in axes)
    return (dxhat - dxhat.sum(axis=axes, keepdims=True) / m
            - xhat * np.sum(dxhat * xhat, axis=axes, keepdims=True) / m) / std


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation of (N, D) input in training mode (the cache batchnorm_backward_alt reads)."""
    xhat, std = _normalise(x, (0,), bn_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, gamma, std)


def batchnorm_backward_alt(dout, cache):
    """The simplified backward of CS231n's assignment: one expression for dx."""
    xhat, gamma, std = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dx = gamma * (N * dout - dbeta - xhat * dgamma) / (N * std)
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    """Layer normalisation of (N, D) input: each sample over its D features; ln_param: 'eps'."""
    xhat, std = _normalise(x, (1,), ln_param.get("eps", 1e-5))
    return gamma * xhat + beta, (xhat, gamma, std)


def layernorm_backward(dout, cache):
    xhat, gamma, std = cache
    dgamma = np.sum(dout * xhat, axis=0)
    dbeta = np.sum(dout, axis=0)
    return _normalise_backward(dout * gamma, xhat, std, (1,)), dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation of (N, C, H, W) input per channel, over N, H and W; gamma, beta (C,)."""
    xhat, std = _normalise(x, (0, 2, 3), bn_param.get("eps", 1e-5))
    g = gamma.reshape(1, -1, 1, 1)
    return g * xhat + beta.reshape(1, -1, 1, 1), (xhat, g, std)


def spatial_batchnorm_backward(dout, cache):
    xhat, g, std = cache
    dgamma = np.sum(dout * xhat, axis=(0, 2, 3))
    dbeta = np.sum(dout, axis=(0, 2, 3))
    return _normalise_backward(dout * g, xhat, std, (0, 2, 3)), dgamma, dbeta


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Group normalisation of (N, C, H, W): G groups of C // G channels per sample; gamma and beta
    (1, C, 1, 1) or (C,), and their gradients come back in the shape they were given."""
    N, C, H, W = x.shape
    xhat, std = _normalise(x.reshape(N, G, C // G, H, W), (2, 3, 4), gn_param.get("eps", 1e-5))
    g = gamma.reshape(1, C, 1, 1)
    out = g * xhat.reshape(x.shape) + beta.reshape(1, C, 1, 1)
    return out, (xhat, g, std, gamma.shape)


def spatial_groupnorm_backward(dout, cache):
    xhat, g, std, shape = cache
    N, C, H, W = dout.shape
    dgamma = np.sum(dout * xhat.reshape(dout.shape), axis=(0, 2, 3)).reshape(shape)
    dbeta = np.sum(dout, axis=(0, 2, 3)).reshape(shape)
    dxhat = (dout * g).reshape(xhat.shape)
    dx = _normalise_backward(dxhat, xhat, std, (2, 3, 4)).reshape(dout.shape)
    return dx, dgamma, dbeta


def gelu_forward(x):
    """GELU in its tanh approximation (as GPT-2 and many courses write it)."""
    k = math.sqrt(2.0 / math.pi)
    t = np.tanh(k * (x + 0.044715 * x ** 3))
    return 0.5 * x * (1.0 + t), (x, t)


def gelu_backward(dout, cache):
    x, t = cache
    k = math.sqrt(2.0 / math.pi)
    dt = (1.0 - t ** 2) * k * (1.0 + 3 * 0.044715 * x ** 2)
    return dout * (0.5 * (1.0 + t) + 0.5 * x * dt)


def avg_pool_forward(x, pool_param):
    """Average pooling of (N, C, H, W) over pool_height x pool_width windows, which may overlap."""
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw].mean(axis=(2, 3))
    return out, (x.shape, pool_param)


def avg_pool_backward(dout, cache):
    shape, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(shape, dtype=dout.dtype)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            # += because windows overlap when stride < pool size
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
    return dx


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    return affine_backward(relu_backward(dout, relu_cache), fc_cache)


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    a, fc_cache = affine_forward(x, w, b)
    an, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward(dout, cache):
    fc_cache, bn_cache, relu_cache = cache
    dan, dgamma, dbeta = batchnorm_backward_alt(relu_backward(dout, relu_cache), bn_cache)
    return (*affine_backward(dan, fc_cache), dgamma, dbeta)


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    a, fc_cache = affine_forward(x, w, b)
    an, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(an)
    return out, (fc_cache, ln_cache, relu_cache)


def affine_ln_relu_backward(dout, cache):
    fc_cache, ln_cache, relu_cache = cache
    dan, dgamma, dbeta = layernorm_backward(relu_backward(dout, relu_cache), ln_cache)
    return (*affine_backward(dan, fc_cache), dgamma, dbeta)


def conv_relu_forward(x, w, b, conv_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout, cache):
    conv_cache, relu_cache = cache
    return conv_backward_naive(relu_backward(dout, relu_cache), conv_cache)


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    an, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(an)
    return out, (conv_cache, bn_cache, relu_cache)


def conv_bn_relu_backward(dout, cache):
    conv_cache, bn_cache, relu_cache = cache
    dan, dgamma, dbeta = spatial_batchnorm_backward(relu_backward(dout, relu_cache), bn_cache)
    return (*conv_backward_naive(dan, conv_cache), dgamma, dbeta)


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    a, conv_cache = conv_forward_naive(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_naive(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_naive(dout, pool_cache)
    return conv_backward_naive(relu_backward(ds, relu_cache), conv_cache)


register_pair(batchnorm_forward, batchnorm_backward_alt, kind="batchnorm", name="batchnorm_alt")
register_pair(layernorm_forward, layernorm_backward, kind="layernorm")
register_pair(spatial_batchnorm_forward, spatial_batchnorm_backward, kind="spatial_batchnorm")
register_pair(spatial_groupnorm_forward, spatial_groupnorm_backward, kind="spatial_groupnorm")
register_pair(gelu_forward, gelu_backward, kind="gelu")
register_pair(avg_pool_forward, avg_pool_backward, kind="avg_pool")
register_pair(affine_relu_forward, affine_relu_backward, kind="affine_relu")
register_pair(affine_bn_relu_forward, affine_bn_relu_backward, kind="affine_bn_relu")
register_pair(affine_ln_relu_forward, affine_ln_relu_backward, kind="affine_ln_relu")
register_pair(conv_relu_forward, conv_relu_backward, kind="conv_relu")
register_pair(conv_bn_relu_forward, conv_bn_relu_backward, kind="conv_bn_relu")
register_pair(conv_relu_pool_forward, conv_relu_pool_backward, kind="conv_relu_pool")
