"""A softmax whose backward sums over the batch, and a layer of the same file that builds one (our own file in the
textbook's second volume's style: params and grads lists, a Softmax held as an attribute)."""
import numpy as np


class Softmax:
    def __init__(self):
        self.params, self.grads = [], []
        self.out = None

    def forward(self, x):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.out = e / e.sum(axis=1, keepdims=True)
        return self.out

    def backward(self, dout):
        dx = self.out * dout
        dx -= self.out * np.sum(dx, axis=0, keepdims=True)
        return dx


class AttentionWeight:
    def __init__(self):
        self.params, self.grads = [], []
        self.softmax = Softmax()
        self.cache = None

    def forward(self, hs, h):
        N, T, H = hs.shape
        hr = np.repeat(h[:, None, :], T, axis=1)
        a = self.softmax.forward(np.sum(hs * hr, axis=2))
        self.cache = (hs, hr)
        return a

    def backward(self, da):
        hs, hr = self.cache
        N, T, H = hs.shape
        ds = self.softmax.backward(da)
        dt = np.repeat(ds[:, :, None], H, axis=2)
        return dt * hr, np.sum(dt * hs, axis=1)
