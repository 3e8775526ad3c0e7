"""A learner's group norm class written for a (C,) gamma, and a pooling function reading one pool size."""
import numpy as np


class GroupNorm:
    def __init__(self, gamma, beta, G, eps=1e-5):
        self.gamma, self.beta, self.G, self.eps = gamma, beta, G, eps

    def forward(self, x):
        N, C, H, W = x.shape
        g = x.reshape(N, self.G, -1)
        self.inv = 1.0 / np.sqrt(g.var(axis=2, keepdims=True) + self.eps)
        self.xhat = ((g - g.mean(axis=2, keepdims=True)) * self.inv).reshape(x.shape)
        return self.gamma.reshape(1, C, 1, 1) * self.xhat + self.beta.reshape(1, C, 1, 1)

    def backward(self, dout):
        N, C, H, W = dout.shape
        self.dgamma = (dout * self.xhat).sum(axis=(0, 2, 3))  # (C,): the shape of the gamma it was written for
        self.dbeta = dout.sum(axis=(0, 2, 3))
        dxhat = (dout * self.gamma.reshape(1, C, 1, 1)).reshape(N, self.G, -1)
        xhat = self.xhat.reshape(N, self.G, -1)
        dx = self.inv * (dxhat - dxhat.mean(axis=2, keepdims=True) - xhat * (dxhat * xhat).mean(axis=2, keepdims=True))
        return dx.reshape(dout.shape)


def avg_pool_forward(x, pool_param):
    k, s = pool_param["pool_size"], pool_param["stride"]
    N, C, H, W = x.shape
    oh, ow = (H - k) // s + 1, (W - k) // s + 1
    out = np.zeros((N, C, oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].mean(axis=(2, 3))
    return out, (x.shape, pool_param)


def avg_pool_backward(dout, cache):
    shape, pool_param = cache
    k, s = pool_param["pool_size"], pool_param["stride"]
    dx = np.zeros(shape)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += dout[:, :, i:i + 1, j:j + 1] / (k * k)
    return dx
