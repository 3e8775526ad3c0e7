"""Buggy class-style layers of the assignment-2 kinds: one real student mistake each, registered with
the code gradlab must diagnose (their correct counterparts are in `a2_classes.py`)."""

import numpy as np

from gradlab.registry import register


@register("spatial_groupnorm", bug="scaled", note="dx without the factor gamma")
class GroupNormDxWithoutGamma:
    def __init__(self, gamma, beta, G, eps=1e-5):
        self.gamma, self.beta, self.G, self.eps = gamma, beta, G, eps
        self.xhat = self.std = self.dgamma = self.dbeta = None

    def forward(self, x):
        N, C, H, W = x.shape
        groups = x.reshape(N, self.G, -1)
        self.std = np.sqrt(groups.var(axis=2, keepdims=True) + self.eps)
        self.xhat = ((groups - groups.mean(axis=2, keepdims=True)) / self.std).reshape(x.shape)
        return self.gamma.reshape(1, C, 1, 1) * self.xhat + self.beta.reshape(1, C, 1, 1)

    def backward(self, dout):
        N, C, H, W = dout.shape
        self.dgamma = np.sum(dout * self.xhat, axis=(0, 2, 3)).reshape(self.gamma.shape)
        self.dbeta = np.sum(dout, axis=(0, 2, 3)).reshape(self.beta.shape)
        dxhat = dout.reshape(N, self.G, -1)  # BUG: out = gamma * xhat + beta, so dxhat = dout * gamma
        xh = self.xhat.reshape(N, self.G, -1)
        dx = (dxhat - dxhat.mean(axis=2, keepdims=True) - xh * np.mean(dxhat * xh, axis=2, keepdims=True)) / self.std
        return dx.reshape(dout.shape)


@register("avg_pool", bug="dropped-term", note="dx[window] = ... where overlapping windows need +=")
class AvgPool2DOverwritesOverlaps:
    def __init__(self, pool_h, pool_w, stride=1):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride
        self.x_shape = None

    def forward(self, x):
        self.x_shape = x.shape
        N, C, H, W = x.shape
        s, ph, pw = self.stride, self.pool_h, self.pool_w
        out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
        return out

    def backward(self, dout):
        s, ph, pw = self.stride, self.pool_h, self.pool_w
        dx = np.zeros(self.x_shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                # BUG: = where overlapping windows (stride < pool size) must add up
                dx[:, :, i * s:i * s + ph, j * s:j * s + pw] = dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
        return dx
