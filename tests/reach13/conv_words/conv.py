"""A convolution built from its sizes under a learner's own names: step for the stride, zero_pad for the padding."""
import numpy as np

class ConvLayer:
    def __init__(self, num_filters, filter_size, channels_in, step=1, zero_pad=0):
        self.filters = np.random.randn(num_filters, channels_in, filter_size, filter_size) * 0.1
        self.bias = np.zeros(num_filters)
        self.step = step
        self.zero_pad = zero_pad
        self.k = filter_size

    def forward(self, x):
        p, s, k = self.zero_pad, self.step, self.k
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        N, C, H, W = self.xp.shape
        Ho, Wo = (H - k) // s + 1, (W - k) // s + 1
        out = np.zeros((N, self.filters.shape[0], Ho, Wo))
        for i in range(Ho):
            for j in range(Wo):
                patch = self.xp[:, :, i * s:i * s + k, j * s:j * s + k]
                out[:, :, i, j] = np.tensordot(patch, self.filters, axes=([1, 2, 3], [1, 2, 3])) + self.bias
        return out

    def backward(self, dout):
        p, s, k = self.zero_pad, self.step, self.k
        dxp = np.zeros_like(self.xp)
        self.dfilters = np.zeros_like(self.filters)
        self.dbias = dout.sum(axis=(0, 2, 3))
        Ho, Wo = dout.shape[2:]
        for i in range(Ho):
            for j in range(Wo):
                patch = self.xp[:, :, i * s:i * s + k, j * s:j * s + k]
                self.dfilters += np.tensordot(dout[:, :, i, j], patch, axes=([0], [0]))
                dxp[:, :, i * s:i * s + k, j * s:j * s + k] += np.tensordot(dout[:, :, i, j], self.filters, axes=([1], [0]))
        H, W = dxp.shape[2:]
        return dxp[:, :, p:H - p, p:W - p]
