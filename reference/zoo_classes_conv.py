"""Buggy class-style layers (batch norm, dropout, convolution, pooling, embedding): one bug each.

Plain copies of the correct layers in `classes.py` with ONE mistake, registered with the bug code
gradlab must diagnose. The im2col helper is shared with the correct layers because it is not
where the bug is; a col2im that carries a bug is copied here in full so the bug stays visible.
"""

import numpy as np

from gradlab.reference.classes import _col2im, _im2col
from gradlab.registry import register


@register("batchnorm", bug="dropped-term", note="dx = gamma * dout / std: the mean and variance paths are missing")
class BatchNormalizationNoStatsPaths:
    def __init__(self, gamma, beta, momentum=0.9):
        self.gamma, self.beta, self.momentum = gamma, beta, momentum
        self.eps = 1e-7
        self.xn = self.std = self.dgamma = self.dbeta = None

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=0)
        self.std = np.sqrt(x.var(axis=0) + self.eps)
        self.xn = (x - mu) / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        return self.gamma * dout / self.std  # BUG: as if mu and var were constants, not functions of x


@register("dropout", bug="scaled", note="inverted dropout: backward forgets the 1 / (1 - p) of forward")
class InvertedDropoutForgetsScale:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask / (1.0 - self.dropout_ratio)
        return x

    def backward(self, dout):
        return dout * self.mask  # BUG: the kept units were scaled by 1 / (1 - p) in forward


@register("dropout", bug="scaled",
          note="forward divides the kept units by the drop ratio p where 1 - p belongs; backward agrees with it")
class InvertedDropoutDividesByDropRatio:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask / self.dropout_ratio  # BUG: the kept fraction is 1 - p
        return x

    def backward(self, dout):
        return dout * self.mask / self.dropout_ratio


def _col2im_overwrite(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)

    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1), dtype=col.dtype)
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            # BUG: `=` where overlapping windows (stride < filter size) must add up with `+=`
            img[:, :, y:y_max:stride, x:x_max:stride] = col[:, :, y, x, :, :]

    return img[:, :, pad:H + pad, pad:W + pad]


@register("conv", bug="dropped-term", note="col2im assigns instead of accumulating overlapping windows")
class ConvolutionOverwritesOverlaps:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.x_shape = self.col = self.col_W = self.dW = self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        self.x_shape = x.shape
        self.col = _im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return _col2im_overwrite(dcol, self.x_shape, FH, FW, self.stride, self.pad)


@register("conv", bug="wrong-shape", note="dW left as the (FN, C*FH*FW) matrix of the im2col product")
class ConvolutionDWNotReshaped:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.x_shape = self.col = self.col_W = self.dW = self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        self.x_shape = x.shape
        self.col = _im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).transpose(1, 0)  # BUG: not reshaped to (FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        return _col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


@register("max_pool", bug="dropped-term", note="col2im with `=` loses gradients of overlapping windows")
class PoolingOverwritesOverlaps:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.x_shape = self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = _im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        self.x_shape = x.shape
        return np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, self.pool_h * self.pool_w), dtype=dout.dtype)
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.flatten()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        # BUG: the overwriting col2im, so a pixel keeps only the last window's gradient
        return _col2im_overwrite(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)


@register("embedding", bug="dropped-term", note="dW[idx] = dout: repeated indices keep only one row")
class EmbeddingAssignsRows:
    def __init__(self, W):
        self.W = W
        self.idx = self.dW = None

    def forward(self, idx):
        self.idx = idx
        return self.W[idx]

    def backward(self, dout):
        dW = np.zeros_like(self.W)
        dW[self.idx] = dout  # BUG: fancy assignment keeps one write per index; np.add.at sums them
        self.dW = dW
        return None
