import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class MaxPooling:
    """Max pooling over square windows of one size, as many learners write it: the window's side is stored once."""

    def __init__(self, kernel_size, stride, name=""):
        self.k = kernel_size
        self.stride = stride
        self.name = name

    def forward(self, x):
        self.shape = x.shape
        # every k x k window, then every stride-th of them: the code has no other width than k
        windows = sliding_window_view(x, (self.k, self.k), axis=(2, 3))[:, :, ::self.stride, ::self.stride]
        flat = windows.reshape(*windows.shape[:4], self.k * self.k)
        self.winner = flat.argmax(axis=-1)
        return flat.max(axis=-1)

    def backward(self, dout):
        dx = np.zeros(self.shape)
        n, c, i, j = np.indices(dout.shape)
        s, r = np.divmod(self.winner, self.k)  # row and column of the winner read the other way round
        # overlapping windows may share a maximum: add, never overwrite
        np.add.at(dx, (n, c, i * self.stride + r, j * self.stride + s), dout)
        return dx
