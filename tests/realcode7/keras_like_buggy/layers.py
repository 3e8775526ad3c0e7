"""The same library with two bugs: db averaged over the batch, the mask forgotten in dropout's backward."""
import numpy as np


class DenseLayer:
    def __init__(self, w, b):
        self._w, self._b = w, b  # w is (units_curr, units_prev)

    @classmethod
    def initialize(cls, units_prev, units_curr):
        return cls(w=np.random.randn(units_curr, units_prev) * 0.1, b=np.zeros((1, units_curr)))

    def forward_pass(self, a_prev, training):
        self._a_prev = a_prev
        return a_prev @ self._w.T + self._b

    def backward_pass(self, da_curr):
        self._dw = da_curr.T @ self._a_prev
        self._db = da_curr.sum(axis=0, keepdims=True) / len(da_curr)
        return da_curr @ self._w


class DropoutLayer:
    def __init__(self, keep_prob):
        self._keep_prob = keep_prob

    def forward_pass(self, a_prev, training):
        self._mask = (np.random.rand(*a_prev.shape) < self._keep_prob) / self._keep_prob
        return a_prev * self._mask

    def backward_pass(self, da_curr):
        return da_curr


class MaxPoolLayer:
    def __init__(self, pool_size, stride=2):
        self._pool, self._stride = pool_size, stride

    def forward_pass(self, a_prev, training):
        self._a = a_prev
        n, h_in, w_in, c = a_prev.shape
        ph, pw = self._pool
        out = np.zeros((n, 1 + (h_in - ph) // self._stride, 1 + (w_in - pw) // self._stride, c))
        for i in range(out.shape[1]):
            for j in range(out.shape[2]):
                s = self._stride
                out[:, i, j, :] = a_prev[:, i * s:i * s + ph, j * s:j * s + pw, :].max(axis=(1, 2))
        return out

    def backward_pass(self, da_curr):
        ph, pw = self._pool
        s = self._stride
        da_prev = np.zeros_like(self._a)
        for i in range(da_curr.shape[1]):
            for j in range(da_curr.shape[2]):
                window = self._a[:, i * s:i * s + ph, j * s:j * s + pw, :]
                hit = window == window.max(axis=(1, 2), keepdims=True)
                da_prev[:, i * s:i * s + ph, j * s:j * s + pw, :] += hit * da_curr[:, i:i + 1, j:j + 1, :]
        return da_prev
