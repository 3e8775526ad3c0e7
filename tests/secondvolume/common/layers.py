"""Layers in the second volume's convention: params and grads are lists, grads filled in place by backward."""
import numpy as np


def softmax(s):
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


class MatMul:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        return dout @ self.params[0].T


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        W, b = self.params
        return x @ W + b

    def backward(self, dout):
        W, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


class Sigmoid:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None

    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1 - self.y)


class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.p = None
        self.t = None

    def forward(self, x, t):
        self.p = softmax(x)
        if t.ndim == x.ndim:  # one-hot rows: their class ids
            t = t.argmax(axis=-1)
        self.t = t
        n = len(t)
        return -np.log(self.p[np.arange(n), t] + 1e-7).sum() / n  # (the book's guard against log(0))

    def backward(self, dout=1):
        n = len(self.t)
        dx = self.p.copy()
        dx[np.arange(n), self.t] -= 1
        return dx * dout / n


class Embedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        np.add.at(dW, self.idx, dout)
        return None
