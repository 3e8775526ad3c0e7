# More buggy CS231n-style layer functions, one mistake each.
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    # BUG: wrong-shape  (dx left as (N, D) instead of x's shape (N, d1, ..., dk))
    x, w, b = cache
    dx = dout.dot(w.T)
    dw = x.reshape(x.shape[0], -1).T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    # BUG: mutates-input  (in-place clipping of the caller's array)
    x[x < 0] = 0
    out = x
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    return dout * (x > 0)


def softmax_loss(x, y):
    # BUG: non-finite  (no max-shift: np.exp overflows for scores around 1000)
    N = x.shape[0]
    exp_scores = np.exp(x)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


def sigmoid_forward(x):
    out = 1.0 / (1.0 + np.exp(-x))
    cache = x
    return out, cache


def sigmoid_backward(dout, cache):
    # BUG: wrong-input  (treated the cached input as if it were the output: x * (1 - x))
    x = cache
    return dout * x * (1 - x)


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    out = np.zeros((N, F, H_out, W_out))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, f, i, j] = np.sum(
                        xp[n, :, i*stride:i*stride+HH, j*stride:j*stride+WW] * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    # BUG: wrong-reduction  (db summed over the batch axis only -> shape (F, H_out, W_out))
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=0)
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += xp[n, :, hs:hs+HH, ws:ws+WW] * dout[n, f, i, j]
                    dxp[n, :, hs:hs+HH, ws:ws+WW] += w[f] * dout[n, f, i, j]
    return dxp[:, :, pad:pad+H, pad:pad+W], dw, db


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get('eps', 1e-5)
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    out = gamma * x_hat + beta
    return out, (x_hat, gamma, var, eps)


def batchnorm_backward(dout, cache):
    # BUG: mismatch  (returned (dx, dbeta, dgamma): gradients in the wrong parameter order)
    x_hat, gamma, var, eps = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = (gamma / np.sqrt(var + eps)) / N * (
        N * dout - dbeta - x_hat * dgamma)
    return dx, dbeta, dgamma
