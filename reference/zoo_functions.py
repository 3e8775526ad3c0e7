"""Buggy function-style layers, in the manner of CS231n: one real student mistake each.

Each forward/backward pair (or loss function) is a plain copy of its correct counterpart in
`functions.py` with ONE bug, registered with the bug code gradlab must diagnose.
"""

import numpy as np

from gradlab.registry import register, register_pair


def _sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


# --- affine -----------------------------------------------------------------------------------

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w)


def affine_backward_transposed_dw(dout, cache):
    x, w = cache
    x2d = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = (dout.T @ x2d).reshape(w.shape)  # BUG: the (M, D) product squeezed into w's (D, M) shape
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_db_wrong_axis(dout, cache):
    x, w = cache
    x2d = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x2d.T @ dout
    db = np.sum(dout, axis=1)  # BUG: summed over the features; the bias is shared over the batch axis 0
    return dx, dw, db


def affine_backward_dx_not_reshaped(dout, cache):
    x, w = cache
    x2d = x.reshape(x.shape[0], -1)
    dx = dout @ w.T  # BUG: (N, D), not the (N, d_1, ..., d_k) of x
    dw = x2d.T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_zero_dw(dout, cache):
    x, w = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = np.zeros_like(w)  # BUG: initialised and never filled in
    db = np.sum(dout, axis=0)
    return dx, dw, db


def affine_backward_updates_w(dout, cache):
    x, w = cache
    x2d = x.reshape(x.shape[0], -1)
    dw = x2d.T @ dout
    db = np.sum(dout, axis=0)
    w -= 0.1 * dw  # BUG: an SGD step inside backward; dx below then uses the updated weights
    dx = (dout @ w.T).reshape(x.shape)
    return dx, dw, db


def affine_forward_centred(x, w, b):
    x2d = x.reshape(x.shape[0], -1)
    xc = x2d - x2d.mean(axis=0)  # BUG: normalising by the batch mean mixes the samples
    return xc @ w + b, (x.shape, xc, w)


def affine_backward_centred(dout, cache):
    x_shape, xc, w = cache
    dxc = dout @ w.T
    dx = (dxc - dxc.mean(axis=0)).reshape(x_shape)  # consistent with the forward: the bug is the mixing
    return dx, xc.T @ dout, np.sum(dout, axis=0)


# --- activations --------------------------------------------------------------------------------

def relu_forward_in_place(x):
    out = np.maximum(x, 0, out=x)  # BUG: out=x writes the result into the caller's array
    return out, x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(x):
    out = _sigmoid(x)
    return out, out


def sigmoid_backward_sign_flip(dout, cache):
    out = cache
    return dout * out * (out - 1)  # BUG: s (1 - s) written as s (s - 1)


def sigmoid_backward_crashes(dout, cache):
    out = cache["out"]  # BUG: the cache is the array itself, not a dict
    return dout * out * (1 - out)


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward_scaled(dout, cache):
    out = cache
    return 2 * dout * (1 - out ** 2)  # BUG: a stray 2 from d(x**2) remembered from another layer


# --- batch norm, dropout, pooling, embedding ----------------------------------------------------

def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mu = x.mean(axis=0)
    std = np.sqrt(x.var(axis=0) + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)


def batchnorm_backward_no_stats_paths(dout, cache):
    xhat, gamma, std = cache
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dx = dout * gamma / std  # BUG: mu and var depend on x too; their two terms are missing
    return dx, dgamma, dbeta


def batchnorm_backward_dgamma_unreduced(dout, cache):
    xhat, gamma, std = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = dout * xhat  # BUG: gamma is shared by the batch, so this needs a sum over axis 0
    dxhat = dout * gamma
    dx = (N * dxhat - dxhat.sum(axis=0) - xhat * np.sum(dxhat * xhat, axis=0)) / (N * std)
    return dx, dgamma, dbeta


def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = np.random.rand(*x.shape) >= p
    return x * mask / (1 - p), (dropout_param, mask)


def dropout_backward_forgets_scale(dout, cache):
    dropout_param, mask = cache
    return dout * mask  # BUG: forward scaled the kept units by 1 / (1 - p); backward must too


def max_pool_forward_naive(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    H_out, W_out = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    out = np.zeros((N, C, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_overwrites(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw].reshape(N, C, -1)
            dwindow = np.zeros_like(window)
            np.put_along_axis(dwindow, np.argmax(window, axis=2)[:, :, None], dout[:, :, i, j][:, :, None], axis=2)
            # BUG: `=` where overlapping windows (stride < pool size) must add up with `+=`
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] = dwindow.reshape(N, C, ph, pw)
    return dx


def embedding_forward(x, W):
    return W[x], (x, W.shape)


def embedding_backward_assigns(dout, cache):
    x, W_shape = cache
    dW = np.zeros(W_shape)
    dW[x] = dout  # BUG: a repeated index keeps only the last row; np.add.at(dW, x, dout) sums them
    return None, dW


# --- losses -------------------------------------------------------------------------------------

@register("softmax_with_loss", bug="missing-batch-mean", name="softmax_loss_no_mean_in_dx")
def softmax_loss(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1  # BUG: the loss is averaged, but dx /= N is missing
    return loss, dx


@register("softmax_with_loss", bug="extra-batch-mean", name="softmax_loss_divides_twice")
def softmax_loss_divides_twice(x, y):
    N = x.shape[0]
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    dx /= N  # BUG: divided by N a second time
    return loss, dx


@register("softmax_with_loss", bug="non-finite", name="softmax_loss_no_max_shift")
def softmax_loss_no_max_shift(x, y):
    N = x.shape[0]
    probs = np.exp(x)  # BUG: no max subtraction, exp(1000) overflows
    probs /= np.sum(probs, axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N


@register("mse_loss", bug="scaled", name="mse_loss_missing_factor_2")
def mse_loss(x, y):
    N = x.shape[0]
    diff = x - y
    loss = np.sum(diff ** 2) / N
    dx = diff / N  # BUG: d(diff**2)/dx = 2 diff
    return loss, dx


@register("svm_loss", bug="dropped-term", name="svm_loss_no_correct_class_term")
def svm_loss(x, y):
    N = x.shape[0]
    correct = x[np.arange(N), y][:, None]
    margins = np.maximum(0, x - correct + 1)
    margins[np.arange(N), y] = 0
    loss = np.sum(margins) / N
    dx = (margins > 0).astype(x.dtype) / N  # BUG: the correct class's -count term is missing
    return loss, dx


@register("linear_svm", bug="missing-batch-mean", name="svm_loss_naive_no_mean_in_dW")
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    N = X.shape[0]
    loss = 0.0
    for i in range(N):
        scores = X[i] @ W
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    return loss / N + reg * np.sum(W * W), dW + 2 * reg * W  # BUG: dW is not divided by N


@register("linear_svm", bug="dropped-term", name="svm_loss_vectorized_no_reg_in_dW")
def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    margins = np.maximum(0, scores - scores[np.arange(N), y][:, None] + 1)
    margins[np.arange(N), y] = 0
    counts = (margins > 0).astype(W.dtype)
    counts[np.arange(N), y] = -np.sum(counts, axis=1)
    return np.sum(margins) / N + reg * np.sum(W * W), X.T @ counts / N  # BUG: + 2 * reg * W missing


@register("linear_softmax", bug="sign-flip", name="softmax_loss_vectorized_flipped")
def softmax_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    scores = X @ W
    scores = scores - np.max(scores, axis=1, keepdims=True)
    probs = np.exp(scores) / np.sum(np.exp(scores), axis=1, keepdims=True)
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N + reg * np.sum(W * W)
    probs[np.arange(N), y] -= 1
    return loss, -(X.T @ probs) / N + 2 * reg * W  # BUG: the data term's sign


@register("linear_softmax", bug="scaled", name="softmax_loss_naive_half_reg_loss")
def softmax_loss_naive(W, X, y, reg):
    N = X.shape[0]
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(N):
        scores = X[i] @ W
        scores -= np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(probs[y[i]])
        probs[y[i]] -= 1
        dW += np.outer(X[i], probs)
    # BUG: the loss adds 0.5 * reg * sum(W**2), the gradient the other convention's 2 * reg * W
    return loss / N + 0.5 * reg * np.sum(W * W), dW / N + 2 * reg * W


register_pair(affine_forward, affine_backward_transposed_dw, kind="affine", bug="transposed",
              name="affine_transposed_dw", note="dw = (dout.T @ x).reshape(w.shape)")
register_pair(affine_forward, affine_backward_db_wrong_axis, kind="affine", bug="wrong-reduction",
              name="affine_db_wrong_axis", note="db = np.sum(dout, axis=1)")
register_pair(affine_forward, affine_backward_dx_not_reshaped, kind="affine", bug="wrong-shape",
              name="affine_dx_not_reshaped")
register_pair(affine_forward, affine_backward_zero_dw, kind="affine", bug="zero-gradient", name="affine_zero_dw")
register_pair(affine_forward, affine_backward_updates_w, kind="affine", bug="stale-parameters",
              name="affine_updates_w_in_backward")
register_pair(affine_forward_centred, affine_backward_centred, kind="affine", bug="couples-samples",
              name="affine_centred_by_batch_mean")
register_pair(relu_forward_in_place, relu_backward, kind="relu", bug="mutates-input", name="relu_in_place")
register_pair(sigmoid_forward, sigmoid_backward_sign_flip, kind="sigmoid", bug="sign-flip", name="sigmoid_sign_flip")
register_pair(sigmoid_forward, sigmoid_backward_crashes, kind="sigmoid", bug="crashed", name="sigmoid_cache_as_dict")
register_pair(tanh_forward, tanh_backward_scaled, kind="tanh", bug="scaled", name="tanh_stray_factor_2")
register_pair(batchnorm_forward, batchnorm_backward_no_stats_paths, kind="batchnorm", bug="dropped-term",
              name="batchnorm_no_stats_paths")
register_pair(batchnorm_forward, batchnorm_backward_dgamma_unreduced, kind="batchnorm", bug="wrong-reduction",
              name="batchnorm_dgamma_not_summed")
register_pair(dropout_forward, dropout_backward_forgets_scale, kind="dropout", bug="scaled",
              name="dropout_backward_forgets_scale")
register_pair(max_pool_forward_naive, max_pool_backward_overwrites, kind="max_pool", bug="dropped-term",
              name="max_pool_overwrites_overlaps")
register_pair(embedding_forward, embedding_backward_assigns, kind="embedding", bug="dropped-term",
              name="embedding_assigns_rows")
