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


class ChannelMix:
    """A 1x1 convolution: each output channel a weighted sum of the input channels at every pixel; W is (F, C)."""

    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        N, C, H, W_ = x.shape  # images only
        self.x = x
        weight, bias = self.params
        return np.einsum('fc,nchw->nfhw', weight, x) + bias[None, :, None, None]

    def backward(self, dout):
        weight, _ = self.params
        self.grads[0][...] = np.einsum('nfhw,nchw->fc', dout, self.x)
        self.grads[1][...] = dout.sum(axis=(0, 2, 3))
        return np.einsum('nfhw,fc->nchw', dout, weight)


class Flatten:
    def __init__(self):
        self.params, self.grads = [], []
        self.shape = None

    def forward(self, x):
        self.shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ self.params[0].T


class Tanh:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None

    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)
