"""A vanilla RNN under Keras' name, over a whole sequence (forward(xs), the textbook's TimeRNN manner)."""
import numpy as np


class SimpleRNN:
    """From a zero state, every step's state returned."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        H = Wh.shape[0]
        self.xs = xs
        self.hs = np.zeros((N, T + 1, H))
        for t in range(T):
            self.hs[:, t + 1] = np.tanh(xs[:, t] @ Wx + self.hs[:, t] @ Wh + b)
        return self.hs[:, 1:].copy()

    def backward(self, dhs):
        Wx, Wh, b = self.params
        N, T, _ = dhs.shape
        dxs = np.zeros_like(self.xs)
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
        dh = np.zeros((N, Wh.shape[0]))
        for t in reversed(range(T)):
            da = (dhs[:, t] + dh) * (1 - self.hs[:, t + 1] ** 2)
            dWx += self.xs[:, t].T @ da
            dWh += self.hs[:, t].T @ da
            db += da.sum(axis=0)
            dxs[:, t] = da @ Wx.T
            dh = da @ Wh
        self.grads[0][...], self.grads[1][...], self.grads[2][...] = dWx, dWh, db
        return dxs
