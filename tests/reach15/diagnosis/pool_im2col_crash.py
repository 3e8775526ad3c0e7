import numpy as np


def to_columns(x, kh, kw, stride):
    """Every kh x kw window of x (N, C, H, W) as one row: (N * OH * OW, C * kh * kw)."""
    N, C, H, W = x.shape
    oh, ow = (H - kh) // stride + 1, (W - kw) // stride + 1
    cols = np.empty((N, C, kh, kw, oh, ow))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = x[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(N * oh * ow, -1)


def from_columns(cols, shape, kh, kw, stride):
    """The adjoint of to_columns: each row's values added back into its window."""
    N, C, H, W = shape
    oh, ow = (H - kh) // stride + 1, (W - kw) // stride + 1
    cols = cols.reshape(N, oh, ow, C, kh, kw).transpose(0, 3, 4, 5, 1, 2)
    x = np.zeros(shape)
    for i in range(kh):
        for j in range(kw):
            x[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, :, i, j]
    return x


class Pooling:
    """Max pooling through window rows; the backward reads each winner's index as (column, row)."""

    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        oh, ow = (H - self.pool_h) // self.stride + 1, (W - self.pool_w) // self.stride + 1
        col = to_columns(x, self.pool_h, self.pool_w, self.stride).reshape(-1, self.pool_h * self.pool_w)
        self.x, self.arg_max = x, np.argmax(col, axis=1)
        return np.max(col, axis=1).reshape(N, oh, ow, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, size))
        row, col = self.arg_max // self.pool_w, self.arg_max % self.pool_w
        dmax[np.arange(self.arg_max.size), col * self.pool_w + row] = dout.flatten()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return from_columns(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride)
