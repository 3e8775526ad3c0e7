# A fifth held-out set of one-bug layers, function style as in CS231n's assignments (`*_forward`
# returns (out, cache), `*_backward(dout, cache)`), one mistake each. Written for gradlab's new-user
# tests without reading gradlab's zoo; labels were chosen from DESIGN.md's vocabulary before any run.
import numpy as np


def affine_forward(x, w, b):
    flat = x.reshape(x.shape[0], -1)
    return flat.dot(w) + b, (x, w, b)


def affine_backward(dout, cache):
    # BUG: wrong-shape  (db summed with keepdims=True: (1, M) where b is (M,))
    x, w, b = cache
    flat = x.reshape(x.shape[0], -1)
    dx = dout.dot(w.T).reshape(x.shape)
    dw = flat.T.dot(dout)
    db = dout.sum(axis=0, keepdims=True)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(x, 0.0), x


def relu_backward(dout, cache):
    # BUG: misrouted  (the ReLU applied to dout: the mask read from the upstream gradient, not from x)
    x = cache
    return np.maximum(dout, 0.0)


def softmax_forward(x):
    shifted = x - x.max(axis=0, keepdims=True)
    e = np.exp(shifted)
    out = e / e.sum(axis=0, keepdims=True)
    return out, out


def softmax_backward(dout, cache):
    # BUG: couples-samples  (normalised down each column, over the batch, instead of along each row)
    out = cache
    return out * (dout - (dout * out).sum(axis=0, keepdims=True))


def softmax_loss(x, y):
    # BUG: sign-flip  (started from -probs and added 1 at the label: onehot - p where p - onehot belongs)
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -logp[np.arange(n), y].mean()
    dx = -np.exp(logp)
    dx[np.arange(n), y] += 1.0
    return loss, dx / n


def svm_loss(x, y):
    # BUG: missing-batch-mean  (loss averaged over the batch, the margin counts never divided by N)
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0.0, x - correct + 1.0)
    margins[np.arange(n), y] = 0.0
    loss = margins.sum() / n
    active = (margins > 0).astype(x.dtype)
    active[np.arange(n), y] = -active.sum(axis=1)
    return loss, active


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    out = x
    if mode == "train":
        mask = np.random.rand(*x.shape) < p
        out = x * mask / p
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    # BUG: scaled  (p is the keep probability: backward divides by 1 - p where forward divided by p)
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask / (1.0 - dropout_param["p"])
    return dout


def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)
    d = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(d, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(d, dtype=x.dtype))
    cache = None
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        xhat = (x - mu) * inv_std
        out = gamma * xhat + beta
        running_mean = momentum * running_mean + (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
        cache = (xhat, gamma, inv_std)
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    # BUG: wrong-reduction  (dgamma summed over every axis into one number: gamma has one per feature)
    xhat, gamma, inv_std = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * xhat)
    dxhat = dout * gamma
    dx = inv_std / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, dgamma, dbeta


def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = 1 + (h + 2 * pad - hh) // stride
    ow = 1 + (wd + 2 * pad - ww) // stride
    out = np.zeros((n, f, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache):
    # BUG: wrong-shape  (returned the padded dx: the pad border never cut off, (N, C, H+2p, W+2p))
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    f, _, hh, ww = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows = slice(i * stride, i * stride + hh)
            cols = slice(j * stride, j * stride + ww)
            g = dout[:, :, i, j]
            dw += np.tensordot(g, xp[:, :, rows, cols], axes=([0], [0]))
            dxp[:, :, rows, cols] += np.tensordot(g, w, axes=([1], [0]))
    return dxp, dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, wd = x.shape
    oh, ow = 1 + (h - ph) // s, 1 + (wd - pw) // s
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw]
            out[:, :, i, j] = window.reshape(n, c, -1).max(axis=2)
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    # BUG: misrouted  (the flat argmax split with divmod by pool_height where the row length is pool_width)
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c = x.shape[:2]
    dx = np.zeros_like(x)
    for a in range(n):
        for ch in range(c):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[a, ch, i * s:i * s + ph, j * s:j * s + pw]
                    r, q = divmod(int(np.argmax(window)), ph)
                    dx[a, ch, i * s + r, j * s + q] += dout[a, ch, i, j]
    return dx


def avg_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    n, c, h, wd = x.shape
    oh, ow = 1 + (h - ph) // s, 1 + (wd - pw) // s
    out = np.zeros((n, c, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
    return out, (x.shape, pool_param)


def avg_pool_backward_naive(dout, cache):
    # BUG: scaled  (each element's share divided by pool_height only: the window has ph * pw elements)
    shape, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            share = dout[:, :, i, j][:, :, None, None] / ph
            dx[:, :, i * s:i * s + ph, j * s:j * s + pw] += share
    return dx


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    # BUG: wrong-input  (tanh' taken of the previous hidden state where it belongs to next_h)
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - prev_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    h = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    i, f, o, g = _sig(a[:, :h]), _sig(a[:, h:2 * h]), _sig(a[:, 2 * h:3 * h]), np.tanh(a[:, 3 * h:])
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c)


def lstm_step_backward(dnext_h, dnext_c, cache):
    # BUG: dropped-term  (dc built from dnext_h alone: the cell's own upstream gradient dnext_c never added)
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c = cache
    tc = np.tanh(next_c)
    do = dnext_h * tc
    dc = dnext_h * o * (1.0 - tc ** 2)
    di, df, dg = dc * g, dc * prev_c, dc * i
    da = np.hstack([di * i * (1 - i), df * f * (1 - f), do * o * (1 - o), dg * (1 - g ** 2)])
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, prev_h.T @ da, da.sum(axis=0)


def word_embedding_forward(x, W):
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    # BUG: dropped-term  (dW[x] += dout with fancy indexing: a word repeated in the batch is counted once)
    x, shape = cache
    dW = np.zeros(shape)
    dW[x] += dout
    return dW


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - mu) * inv_std
    return gamma * xhat + beta, (xhat, gamma, inv_std)


def layernorm_backward(dout, cache):
    # BUG: sign-flip  (the variance's projection added: xhat * mean(dxhat * xhat) is subtracted)
    xhat, gamma, inv_std = cache
    dgamma = (dout * xhat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dxhat = dout * gamma
    dx = inv_std * (dxhat - dxhat.mean(axis=1, keepdims=True)
                    + xhat * (dxhat * xhat).mean(axis=1, keepdims=True))
    return dx, dgamma, dbeta


def tanh_forward(x):
    return np.tanh(x), x


def tanh_backward(dout, cache):
    # BUG: mismatch  (1 - tanh(x) without the square: the derivative is 1 - tanh(x)**2)
    x = cache
    return dout * (1.0 - np.tanh(x))


def mse_loss(x, y):
    # BUG: sign-flip  (differentiated with respect to the target: (y - x) / N where (x - y) / N belongs)
    n = x.shape[0]
    loss = 0.5 * np.sum((x - y) ** 2) / n
    return loss, (y - x) / n
