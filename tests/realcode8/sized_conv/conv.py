import numpy as np


class Conv2D:
    """A convolution that draws its own square filters; backward relies on them being k by k."""

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, pad=0, seed=0):
        rng = np.random.default_rng(seed)
        self.k = kernel_size
        self.W = rng.normal(0.0, 0.1, (out_channels, in_channels, kernel_size, kernel_size))
        self.b = np.zeros(out_channels)
        self.stride, self.pad = stride, pad

    def _windows(self, xp):
        k, s = self.k, self.stride
        n_h = (xp.shape[2] - k) // s + 1
        n_w = (xp.shape[3] - k) // s + 1
        for i in range(n_h):
            for j in range(n_w):
                yield i, j, (slice(None), slice(None), slice(i * s, i * s + k), slice(j * s, j * s + k))

    def forward(self, x):
        p = self.pad
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        k, s = self.k, self.stride
        out = np.zeros((x.shape[0], self.W.shape[0], (self.xp.shape[2] - k) // s + 1, (self.xp.shape[3] - k) // s + 1))
        flat = self.W.reshape(self.W.shape[0], -1)
        for i, j, where in self._windows(self.xp):
            out[:, :, i, j] = self.xp[where].reshape(x.shape[0], -1) @ flat.T + self.b
        return out

    def backward(self, dout):
        N, F = dout.shape[:2]
        flat = self.W.reshape(F, -1)
        dxp = np.zeros_like(self.xp)
        dflat = np.zeros_like(flat)
        for i, j, where in self._windows(self.xp):
            dflat += dout[:, :, i, j].T @ self.xp[where].reshape(N, -1)
            dxp[where] += (dout[:, :, i, j] @ flat).reshape(N, -1, self.k, self.k)
        self.dW = dflat.reshape(F, -1, self.k, self.k)
        self.db = dout.sum(axis=(0, 2, 3))
        p = self.pad
        return dxp[:, :, p:dxp.shape[2] - p, p:dxp.shape[3] - p]
