# Even more buggy class-style layers, one mistake each.
import numpy as np


class Affine:
    # BUG: zero-gradient  (dW and db computed into locals, never stored on self)
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.dW = np.zeros_like(W)
        self.db = np.zeros_like(b)

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        dW = np.dot(self.x.T, dout)
        db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class Sigmoid:
    # BUG: crashed  (forgot the return statement in backward)
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        dx = dout * (1.0 - self.out) * self.out


class SoftmaxWithLoss:
    # BUG: non-finite  (no max subtraction in softmax: exp overflows for large scores)
    def __init__(self):
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        exp_x = np.exp(x)
        self.y = exp_x / np.sum(exp_x, axis=1, keepdims=True)
        if t.size == self.y.size:
            t = t.argmax(axis=1)
        n = x.shape[0]
        return -np.sum(np.log(self.y[np.arange(n), t] + 1e-7)) / n

    def backward(self, dout=1):
        n = self.t.shape[0]
        if self.t.size == self.y.size:
            return (self.y - self.t) / n
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n
