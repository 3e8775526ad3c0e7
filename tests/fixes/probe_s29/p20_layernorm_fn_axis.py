import numpy as np


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get('eps', 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    sd = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xn = (x - mu) / sd
    return gamma * xn + beta, (xn, sd, gamma)


def layernorm_backward(dout, cache):
    xn, sd, gamma = cache
    D = xn.shape[1]
    dgamma = (dout * xn).sum(axis=0)
    dbeta = dout.sum(axis=0)
    g = dout * gamma
    dx = (D * g - g.sum(axis=1, keepdims=True) - xn * (g * xn).sum(axis=0, keepdims=True)) / (D * sd)
    return dx, dgamma, dbeta
