"""Keras-like, channels last (x (N, H, W, C)): a Conv2D handed its kernel (kh, kw, C_in, C_out) and bias."""
import numpy as np


class Conv2D:
    """Channels last, handed its kernel (kh, kw, C_in, C_out) and bias; stride 1, no padding."""

    def __init__(self, kernel, bias):
        self.kernel, self.bias = kernel, bias
        self.dkernel = self.dbias = None

    def forward(self, x):
        self.x = x
        N, H, W, C = x.shape
        kh, kw, _, F = self.kernel.shape
        oh, ow = H - kh + 1, W - kw + 1
        out = np.zeros((N, oh, ow, F))
        for i in range(oh):
            for j in range(ow):
                patch = x[:, i:i + kh, j:j + kw, :]
                out[:, i, j, :] = np.tensordot(patch, self.kernel, axes=([1, 2, 3], [0, 1, 2])) + self.bias
        return out

    def backward(self, dout):
        kh, kw, _, F = self.kernel.shape
        dx = np.zeros_like(self.x)
        dk = np.zeros_like(self.kernel)
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                patch = self.x[:, i:i + kh, j:j + kw, :]
                g = dout[:, i, j, :]
                dk += np.tensordot(patch, g, axes=([0], [0]))
                dx[:, i:i + kh, j:j + kw, :] += np.tensordot(g, self.kernel, axes=([1], [3]))
        self.dkernel, self.dbias = dk, dout.sum(axis=(0, 1, 2))
        return dx
