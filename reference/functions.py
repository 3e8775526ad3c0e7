"""Correct function-style layers, in the manner of the CS231n course.

`<name>_forward(x, *params[, param_dict])` returns `(out, cache)`; `<name>_backward(dout, cache)`
returns `dx` or `(dx, dparam1, ...)` in parameter order. Loss functions `<name>_loss(x, y)`
return `(loss, dx)` with the loss averaged over the batch. Images are (N, C, H, W).
"""

import numpy as np

from gradlab.registry import register, register_pair


def affine_forward(x, w, b):
    """out = x @ w + b, with x of shape (N, d_1, ..., d_k) reshaped to (N, D); w is (D, M)."""
    out = x.reshape(x.shape[0], -1) @ w + b
    cache = (x, w)
    return out, cache


def affine_backward(dout, cache):
    x, w = cache
    x2d = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2d.T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    out = np.maximum(x, 0)
    cache = x
    return out, cache


def relu_backward(dout, cache):
    x = cache
    dx = dout * (x > 0)
    return dx


def _sigmoid(x):
    # exp(-log(1 + exp(-x))) never overflows, unlike 1 / (1 + exp(-x)) for very negative x
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_forward(x):
    out = _sigmoid(x)
    cache = out
    return out, cache


def sigmoid_backward(dout, cache):
    out = cache
    return dout * out * (1 - out)


def tanh_forward(x):
    out = np.tanh(x)
    cache = out
    return out, cache


def tanh_backward(dout, cache):
    out = cache
    return dout * (1 - out ** 2)


def elu_forward(x, alpha=1.0):
    out = np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))
    return out, (x, alpha)


def elu_backward(dout, cache):
    x, alpha = cache
    return dout * np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0)))


def softplus_forward(x):
    return np.logaddexp(0, x), x


def softplus_backward(dout, cache):
    x = cache
    return dout * np.exp(-np.logaddexp(0, -x))


def batchnorm_forward(x, gamma, beta, bn_param):
    """Batch normalisation of (N, D) input, per feature.

    bn_param: 'mode' ('train' or 'test', required), 'eps' (default 1e-5), 'momentum' (default 0.9),
    'running_mean' / 'running_var' (created as zeros if missing, updated in training mode).
    """
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        mu = running_mean
        var = running_var
    else:
        raise ValueError(f'invalid batchnorm mode {mode!r}; use "train" or "test"')

    std = np.sqrt(var + eps)
    xhat = (x - mu) / std
    out = gamma * xhat + beta

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    cache = (mode, xhat, gamma, std)
    return out, cache


def batchnorm_backward(dout, cache):
    mode, xhat, gamma, std = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    if mode == "train":
        # the batch mean and variance depend on x too: the two subtracted terms are their paths
        dx = (N * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0)) / (N * std)
    else:
        dx = dxhat / std
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    """Inverted dropout: drop each unit with probability p, scale the kept ones by 1 / (1 - p).

    dropout_param: 'p' (drop probability), 'mode' ('train' or 'test'), optional 'seed'.
    """
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    if mode == "train":
        mask = ((np.random.rand(*x.shape) >= p) / (1 - p)).astype(x.dtype)
        out = x * mask
    elif mode == "test":
        mask = None
        out = x.copy()
    else:
        raise ValueError(f'invalid dropout mode {mode!r}; use "train" or "test"')

    cache = (dropout_param, mask)
    return out, cache


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout.copy()


def conv_forward_naive(x, w, b, conv_param):
    """Convolution (cross-correlation) of x (N, C, H, W) with w (F, C, HH, WW) and bias b (F,).

    conv_param: 'stride', 'pad' (zero padding on each side). Output (N, F, H', W') with
    H' = 1 + (H + 2 pad - HH) // stride, and likewise W'.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            # (N, C, HH, WW) . (F, C, HH, WW) over C, HH, WW -> (N, F)
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b

    cache = (x, w, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros_like(x_pad, dtype=np.result_type(x, dout))
    dw = np.zeros_like(w, dtype=np.result_type(w, dout))
    db = np.sum(dout, axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + HH, ws:ws + WW]
            d = dout[:, :, i, j]  # (N, F)
            dw += np.tensordot(d, window, axes=([0], [0]))  # (F, C, HH, WW)
            # += because windows overlap when stride < filter size
            dx_pad[:, :, hs:hs + HH, ws:ws + WW] += np.tensordot(d, w, axes=([1], [0]))  # (N, C, HH, WW)

    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    """Max pooling of x (N, C, H, W) over pool_height x pool_width windows; windows may overlap.

    pool_param: 'pool_height', 'pool_width', 'stride', optional 'pad' (zero padding, default 0).
    On a tie the gradient goes to the first maximum only.
    """
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    pad = pool_param.get("pad", 0)
    N, C, H, W = x.shape
    H_out = 1 + (H + 2 * pad - ph) // stride
    W_out = 1 + (W + 2 * pad - pw) // stride

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw]
            out[:, :, i, j] = window.max(axis=(2, 3))

    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    pad = pool_param.get("pad", 0)
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape

    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    dx_pad = np.zeros(x_pad.shape, dtype=np.result_type(x, dout))
    for i in range(H_out):
        for j in range(W_out):
            hs, ws = i * stride, j * stride
            window = x_pad[:, :, hs:hs + ph, ws:ws + pw].reshape(N, C, ph * pw)
            # one winner per window (the first argmax), so ties do not double the gradient
            first_max = np.argmax(window, axis=2)[:, :, None]
            dwindow = np.zeros(window.shape, dtype=dx_pad.dtype)
            np.put_along_axis(dwindow, first_max, dout[:, :, i, j][:, :, None], axis=2)
            # += because windows overlap when stride < pool size
            dx_pad[:, :, hs:hs + ph, ws:ws + pw] += dwindow.reshape(N, C, ph, pw)

    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx


@register("softmax_with_loss")
def softmax_loss(x, y):
    """Softmax cross-entropy averaged over the batch; y holds class indices (N,) (one-hot also accepted)."""
    if y.ndim == 2:
        y = np.argmax(y, axis=1)
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


@register("svm_loss")
def svm_loss(x, y):
    """Multiclass hinge loss with margin 1, averaged over the batch; y holds class indices (N,)."""
    if y.ndim == 2:
        y = np.argmax(y, axis=1)
    N = x.shape[0]
    correct = x[np.arange(N), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N

    positive = (margins > 0).astype(x.dtype)
    dx = positive.copy()
    # the correct class score appears in every positive margin, with a minus sign
    dx[np.arange(N), y] -= np.sum(positive, axis=1)
    dx /= N
    return loss, dx


@register("linear_svm")
def svm_loss_naive(W, X, y, reg):
    """A linear classifier's hinge loss (margin 1) with loops, averaged over the N samples, plus
    reg * sum(W**2); returns (loss, dW), dW of W's shape (D, C)."""
    dW = np.zeros_like(W)
    N, C = X.shape[0], W.shape[1]
    loss = 0.0
    for i in range(N):
        scores = X[i] @ W
        for j in range(C):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / N + reg * np.sum(W * W)
    dW = dW / N + 2 * reg * W
    return loss, dW


@register("linear_svm")
def svm_loss_vectorized(W, X, y, reg):
    """svm_loss_naive without loops."""
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N + reg * np.sum(W * W)
    counts = (margins > 0).astype(W.dtype)
    counts[np.arange(N), y] = -np.sum(counts, axis=1)
    return loss, X.T @ counts / N + 2 * reg * W


@register("linear_softmax")
def softmax_loss_vectorized(W, X, y, reg):
    """A linear classifier's softmax cross-entropy, averaged over the N samples, plus reg * sum(W**2);
    returns (loss, dW)."""
    N = X.shape[0]
    scores = X @ W
    scores = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N + reg * np.sum(W * W)
    probs[np.arange(N), y] -= 1
    return loss, X.T @ probs / N + 2 * reg * W


register_pair(affine_forward, affine_backward, kind="affine")
register_pair(relu_forward, relu_backward, kind="relu")
register_pair(sigmoid_forward, sigmoid_backward, kind="sigmoid")
register_pair(tanh_forward, tanh_backward, kind="tanh")
register_pair(elu_forward, elu_backward, kind="elu")
register_pair(softplus_forward, softplus_backward, kind="softplus")
register_pair(batchnorm_forward, batchnorm_backward, kind="batchnorm")
register_pair(dropout_forward, dropout_backward, kind="dropout")
register_pair(conv_forward_naive, conv_backward_naive, kind="conv", name="conv")
register_pair(max_pool_forward_naive, max_pool_backward_naive, kind="max_pool", name="max_pool")
