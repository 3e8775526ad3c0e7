"""A vanilla RNN under Keras' name for one step (forward(x, h_prev), the textbook's RNN manner)."""
import numpy as np


class SimpleRNNCell:
    """The state after one step."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        self.cache = (x, h_prev, np.tanh(x @ Wx + h_prev @ Wh + b))
        return self.cache[2]

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next ** 2)
        self.grads[0][...] = x.T @ dt
        self.grads[1][...] = h_prev.T @ dt
        self.grads[2][...] = dt.sum(axis=0)
        return dt @ Wx.T, dt @ Wh.T
