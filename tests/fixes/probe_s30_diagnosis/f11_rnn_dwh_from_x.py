# BUG: dropped-term: rnn_step
"""Function pairs keeping a dict as cache; vectorised with reshape tricks rather than loops."""
import numpy as np


def affine_forward(x, w, b):
    flat = x.reshape(len(x), -1)
    return flat @ w + b, {"x": x, "w": w}


def affine_backward(dout, cache):
    x, w = cache["x"], cache["w"]
    flat = x.reshape(len(x), -1)
    return (dout @ w.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), {"on": x > 0}


def relu_backward(dout, cache):
    return np.where(cache["on"], dout, 0.0)


def batchnorm_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    mean, var = x.mean(axis=0), x.var(axis=0)
    inv = 1.0 / np.sqrt(var + eps)
    xn = (x - mean) * inv
    return gamma * xn + beta, {"xn": xn, "inv": inv, "gamma": gamma}


def batchnorm_backward(dout, cache):
    xn, inv, gamma = cache["xn"], cache["inv"], cache["gamma"]
    n = dout.shape[0]
    dgamma = np.sum(dout * xn, axis=0)
    dbeta = np.sum(dout, axis=0)
    dx = gamma * inv / n * (n * dout - dbeta - xn * dgamma)
    return dx, dgamma, dbeta


def max_pool_forward(x, pool_param):
    p = pool_param["pool_height"]
    N, C, H, W = x.shape
    assert pool_param["pool_width"] == p == pool_param["stride"] and H % p == 0 and W % p == 0, "tiling windows only"
    blocks = x.reshape(N, C, H // p, p, W // p, p)
    out = blocks.max(axis=(3, 5))
    return out, {"x": x, "p": p, "out": out}


def max_pool_backward(dout, cache):
    x, p, out = cache["x"], cache["p"], cache["out"]
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // p, p, W // p, p)
    hit = blocks == out[:, :, :, None, :, None]
    spread = hit * dout[:, :, :, None, :, None]
    return spread.reshape(x.shape)


def softmax_loss(x, y):
    z = x - x.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -logp[np.arange(n), y].sum() / n
    dx = np.exp(logp)
    dx[np.arange(n), y] -= 1
    return loss, dx / n


def svm_loss(x, y):
    n = x.shape[0]
    right = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - right + 1.0)
    margins[np.arange(n), y] = 0
    loss = margins.sum() / n
    active = (margins > 0).astype(float)
    active[np.arange(n), y] = -active.sum(axis=1)
    return loss, active / n


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return h, {"x": x, "prev_h": prev_h, "Wx": Wx, "Wh": Wh, "h": h}


def rnn_step_backward(dnext_h, cache):
    da = dnext_h * (1 - cache["h"] ** 2)
    dx = da @ cache["Wx"].T
    dprev_h = da @ cache["Wh"].T
    dWx = cache["x"].T @ da
    dWh = cache["prev_h"] .T @ dnext_h
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def sigmoid_forward(x):
    s = 0.5 * (1 + np.tanh(0.5 * x))
    return s, s


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)
