"""Layers in the second volume's convention, with the book's loss: -log(p + 1e-7) beside the gradient p - t."""
import numpy as np

GUARD = 1e-7  # keeps log away from 0; its own derivative is left out of backward, as the book leaves it out


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_error(p, t):
    if t.ndim == p.ndim:  # one-hot rows: their class ids
        t = t.argmax(axis=-1)
    rows = p.reshape(-1, p.shape[-1])
    picked = rows[np.arange(len(rows)), t.reshape(-1)]
    return -np.sum(np.log(picked + GUARD)) / len(rows)


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


class SoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.y = softmax(x)
        self.t = t.argmax(axis=-1) if t.ndim == x.ndim else t
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout=1):
        n = len(self.t)
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx * (dout / n)
