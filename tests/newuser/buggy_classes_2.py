# More buggy class-style layers, one mistake each.
import numpy as np


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def cross_entropy_error(y, t):
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size


class Affine:
    # BUG: wrong-shape  (dx not reshaped back to the 4-D input shape)
    def __init__(self, W, b):
        self.W = W
        self.b = b
        self.dW = None
        self.db = None

    def forward(self, x):
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx


class Relu:
    # BUG: mutates-input  (out = x without .copy(), so forward zeroes the caller's x)
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class SoftmaxWithLoss:
    # BUG: sign-flip  (t - y instead of y - t)
    def __init__(self):
        self.y = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        return cross_entropy_error(self.y, self.t)

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            t = self.t
        else:
            t = np.zeros_like(self.y)
            t[np.arange(batch_size), self.t] = 1
        dx = (t - self.y) / batch_size
        return dx


class Tanh:
    # BUG: wrong-input  (used the input x instead of the output y in 1 - y**2)
    def __init__(self):
        self.x = None
        self.out = None

    def forward(self, x):
        self.x = x
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1 - self.x ** 2)


class BatchNormalization:
    # BUG: stale-parameters  (SGD step on gamma inside backward, then dx uses the updated gamma)
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None, lr=0.1):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = running_mean
        self.running_var = running_var
        self.lr = lr

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=0)
        xc = x - mu
        var = np.mean(xc**2, axis=0)
        std = np.sqrt(var + 10e-7)
        xn = xc / std
        self.batch_size = x.shape[0]
        self.xc, self.xn, self.std = xc, xn, std
        return self.gamma * xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        # "train as we go": update the parameters right here
        self.gamma -= self.lr * self.dgamma
        self.beta -= self.lr * self.dbeta
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / self.batch_size
