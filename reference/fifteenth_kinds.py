"""Correct layers of the kind and the convention added in session 31 (the reach study of issue 10): the binary hinge
loss on one score per sample with labels -1 or +1, as a CS231n-style function `hinge_loss(x, y) -> (loss, dx)` on flat
scores and as a class on scores of shape (N, 1); Keras-like images with the channels last, a convolution handed its
kernel (kh, kw, C_in, C_out) and a max pool (`gradlab.conventions.channels_last`)."""

import numpy as np

from gradlab.registry import register


@register("binary_hinge")
def hinge_loss(x, y):
    """Function style: mean(max(0, 1 - y·x)) over the N samples, and its gradient."""
    N = x.shape[0]
    margins = np.maximum(0.0, 1.0 - y * x)
    dx = np.where(margins > 0, -y, 0.0) / N
    return margins.sum() / N, dx


@register("binary_hinge")
class BinaryHingeLoss:
    """Class style on a classifier's one output column: the labels are reshaped to the scores'."""

    def forward(self, scores, labels):
        self.y = labels.reshape(scores.shape)
        self.active = (1.0 - self.y * scores) > 0
        return np.sum(np.where(self.active, 1.0 - self.y * scores, 0.0)) / scores.shape[0]

    def backward(self, dout=1.0):
        return dout * np.where(self.active, -self.y, 0.0) / self.y.shape[0]


@register("conv", name="Conv2DChannelsLast", channels="last")
class Conv2DChannelsLast:
    """x (N, H, W, C), kernel (kh, kw, C_in, C_out), bias (C_out,); stride and padding as CS231n's conv_param."""

    def __init__(self, kernel, bias, stride=1, pad=0):
        self.kernel, self.bias, self.stride, self.pad = kernel, bias, stride, pad
        self.dkernel = self.dbias = None

    def forward(self, x):
        p, s = self.pad, self.stride
        self.xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        kh, kw, _, F = self.kernel.shape
        oh, ow = (self.xp.shape[1] - kh) // s + 1, (self.xp.shape[2] - kw) // s + 1
        out = np.empty((x.shape[0], oh, ow, F))
        for i in range(oh):
            for j in range(ow):
                window = self.xp[:, i * s:i * s + kh, j * s:j * s + kw, :]
                out[:, i, j, :] = np.tensordot(window, self.kernel, axes=([1, 2, 3], [0, 1, 2])) + self.bias
        return out

    def backward(self, dout):
        p, s = self.pad, self.stride
        kh, kw, _, _ = self.kernel.shape
        dxp = np.zeros_like(self.xp)
        self.dkernel = np.zeros_like(self.kernel)
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                window = self.xp[:, i * s:i * s + kh, j * s:j * s + kw, :]
                self.dkernel += np.tensordot(window, dout[:, i, j, :], axes=([0], [0]))
                dxp[:, i * s:i * s + kh, j * s:j * s + kw, :] += np.tensordot(dout[:, i, j, :], self.kernel,
                                                                             axes=([1], [3]))
        self.dbias = dout.sum(axis=(0, 1, 2))
        return dxp[:, p:dxp.shape[1] - p, p:dxp.shape[2] - p, :]


@register("max_pool", name="MaxPool2DChannelsLast", channels="last")
class MaxPool2DChannelsLast:
    """x (N, H, W, C); windows pool_h by pool_w at a stride, as CS231n's pool_param."""

    def __init__(self, pool_h=2, pool_w=2, stride=2):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.x = x
        ph, pw, s = self.pool_h, self.pool_w, self.stride
        oh, ow = (x.shape[1] - ph) // s + 1, (x.shape[2] - pw) // s + 1
        out = np.empty((x.shape[0], oh, ow, x.shape[3]))
        for i in range(oh):
            for j in range(ow):
                out[:, i, j, :] = x[:, i * s:i * s + ph, j * s:j * s + pw, :].max(axis=(1, 2))
        return out

    def backward(self, dout):
        ph, pw, s = self.pool_h, self.pool_w, self.stride
        dx = np.zeros_like(self.x)
        for i in range(dout.shape[1]):
            for j in range(dout.shape[2]):
                window = self.x[:, i * s:i * s + ph, j * s:j * s + pw, :]
                top = window == window.max(axis=(1, 2), keepdims=True)
                dx[:, i * s:i * s + ph, j * s:j * s + pw, :] += top * dout[:, i:i + 1, j:j + 1, :]
        return dx
