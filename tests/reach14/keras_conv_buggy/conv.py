"""A Keras-like convolution built from its number of filters and kernel size; its model hands it the weights."""
import numpy as np


class Conv2D:
    def __init__(self, filters, kernel_size, input_shape=(1, 28, 28), stride=1, pad=0):
        self.filters, self.kernel_size = filters, kernel_size
        self.input_shape, self.stride, self.pad = input_shape, stride, pad
        self.dW = self.db = None

    def set_param(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        F, C, kh, kw = self.W.shape
        s, p = self.stride, self.pad
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        N, _, H, Wd = self.xp.shape
        oh, ow = (H - kh) // s + 1, (Wd - kw) // s + 1
        out = np.zeros((N, F, oh, ow))
        for i in range(oh):
            for j in range(ow):
                patch = self.xp[:, :, i * s:i * s + kh, j * s:j * s + kw]
                out[:, :, i, j] = np.tensordot(patch, self.W, axes=([1, 2, 3], [1, 2, 3])) + self.b
        return out

    def backward(self, dout):
        F, C, kh, kw = self.W.shape
        s, p = self.stride, self.pad
        dxp = np.zeros_like(self.xp)
        self.dW = np.zeros_like(self.W)
        self.db = dout.sum(axis=(0, 2, 3)) / dout.shape[0]
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                patch = self.xp[:, :, i * s:i * s + kh, j * s:j * s + kw]
                self.dW += np.tensordot(dout[:, :, i, j], patch, axes=([0], [0]))
                dxp[:, :, i * s:i * s + kh, j * s:j * s + kw] += np.tensordot(dout[:, :, i, j], self.W, axes=([1], [0]))
        H, Wd = dxp.shape[2], dxp.shape[3]
        return dxp[:, :, p:H - p, p:Wd - p]
