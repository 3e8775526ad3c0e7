"""A learner's layers taking their settings as numbers and a loss taking the model for its regularisation (the
hipsternet style), next to one whose own line raises a TypeError of its own: written for gradlab's tests."""
import numpy as np


def avgpool_forward(X, size=2, stride=2):
    n, d, h, w = X.shape
    h_out = (h - size) // stride + 1
    w_out = (w - size) // stride + 1
    out = np.zeros((n, d, h_out, w_out))
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = X[:, :, i * stride:i * stride + size, j * stride:j * stride + size].mean(axis=(2, 3))
    return out, (X, size, stride)


def avgpool_backward(dout, cache):
    X, size, stride = cache
    dX = np.zeros_like(X)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dX[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += \
                dout[:, :, i:i + 1, j:j + 1] / (size * size)
    return dX


def squared_loss(model, y_pred, y_train, lam=1e-3):
    reg = sum(0.5 * lam * np.sum(w * w) for w in model.values())
    return 0.5 * np.mean(np.sum((y_pred - y_train) ** 2, axis=1)) + reg


def dsquared_loss(y_pred, y_train):
    return (y_pred - y_train) / y_pred.shape[0]


def tanh_forward(X):
    out = np.tanh(X)
    return out, out


def tanh_backward(dout, cache):
    return (1 - cache ** 2) * dout * (dout.shape + 1)


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    flat = x.transpose(0, 2, 3, 1).reshape(-1, C)
    mu, var = flat.mean(axis=0), flat.var(axis=0) + bn_param.get("eps", 1e-5)
    xhat = (flat - mu) / np.sqrt(var)
    out = (gamma * xhat + beta).reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return out, (xhat, var, gamma, x.shape)


def spatial_batchnorm_backward(dout, cache):
    xhat, var, gamma, (N, C, H, W) = cache
    d = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dgamma = (d * xhat).sum(axis=1)  # BUG: over the channels where the positions belong
    dbeta = d.sum(axis=0)
    m = d.shape[0]
    dxhat = d * gamma
    dflat = (m * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0)) / (m * np.sqrt(var))
    dx = (dflat * dgamma).reshape(N, H, W, C).transpose(0, 3, 1, 2)
    return dx, dgamma, dbeta
