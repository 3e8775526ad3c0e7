# Buggy CS231n-style layer functions, one mistake each.
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1).dot(w) + b
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    # BUG: transposed  (dw = dout.T @ x, the (M, D) matrix instead of (D, M))
    x, w, b = cache
    x_row = x.reshape(x.shape[0], -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = dout.T.dot(x_row)
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = np.maximum(0, x)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    # BUG: mismatch  (returned the local derivative only, forgot to multiply by dout)
    x = cache
    dx = (x > 0).astype(x.dtype)
    return dx


def softmax_loss(x, y):
    # BUG: extra-batch-mean  (dx divided by N twice)
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    dx = dx / N
    return loss, dx


def svm_loss(x, y):
    # BUG: missing-batch-mean  (loss averaged over N, dx not)
    N = x.shape[0]
    correct = x[np.arange(N), y]
    margins = np.maximum(0, x - correct[:, None] + 1.0)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    dx = np.zeros_like(x)
    dx[margins > 0] = 1
    dx[np.arange(N), y] -= np.sum(margins > 0, axis=1)
    return loss, dx


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param['mode']
    eps = bn_param.get('eps', 1e-5)
    momentum = bn_param.get('momentum', 0.9)
    N, D = x.shape
    running_mean = bn_param.get('running_mean', np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get('running_var', np.zeros(D, dtype=x.dtype))
    cache = None
    if mode == 'train':
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
        cache = (x, x_hat, mu, var, gamma, eps)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param['running_mean'] = running_mean
    bn_param['running_var'] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    # BUG: dropped-term  (forgot the path through the variance: dvar never reaches dx)
    x, x_hat, mu, var, gamma, eps = cache
    N, D = x.shape
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    ivar = 1.0 / np.sqrt(var + eps)
    dmu = -np.sum(dx_hat * ivar, axis=0)
    dx = dx_hat * ivar + dmu / N
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    # p = probability of KEEPING a unit (2017+ assignment 2 version)
    p, mode = dropout_param['p'], dropout_param['mode']
    if 'seed' in dropout_param:
        np.random.seed(dropout_param['seed'])
    mask = None
    if mode == 'train':
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    # BUG: scaled  (mask already holds 1/p, divided by p a second time)
    dropout_param, mask = cache
    if dropout_param['mode'] == 'train':
        return dout * mask / dropout_param['p']
    return dout


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
    # BUG: mismatch  ("convolution means flipping the kernel": dx uses the flipped filter)
    x, w, b, conv_param = cache
    stride, pad = conv_param['stride'], conv_param['pad']
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode='constant')
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    w_flip = w[:, :, ::-1, ::-1]
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += xp[n, :, hs:hs+HH, ws:ws+WW] * dout[n, f, i, j]
                    dxp[n, :, hs:hs+HH, ws:ws+WW] += w_flip[f] * dout[n, f, i, j]
    dx = dxp[:, :, pad:pad+H, pad:pad+W]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    H_out = 1 + (H - ph) // s
    W_out = 1 + (W - pw) // s
    out = np.zeros((N, C, H_out, W_out))
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    out[n, c, i, j] = x[n, c, i*s:i*s+ph, j*s:j*s+pw].max()
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    # BUG: dropped-term  (= instead of += : overlapping windows overwrite each other)
    x, pool_param = cache
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    _, _, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    window = x[n, c, i*s:i*s+ph, j*s:j*s+pw]
                    a, bb = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i*s + a, j*s + bb] = dout[n, c, i, j]
    return dx
