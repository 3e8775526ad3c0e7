"""Time layers in the second volume's convention: (N, T, ...) data, float32 buffers, a stateful RNN."""
import numpy as np

from common.layers import softmax


class TimeEmbedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.idx = None

    def forward(self, xs):
        self.idx = xs
        return self.params[0][xs]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        np.add.at(dW, self.idx, dout)
        return None


class TimeRNN:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful = stateful
        self.h = None
        self.cache = None

    def reset_state(self):
        self.h = None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        H = Wh.shape[0]
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, H), dtype='f')
        hs = np.empty((N, T, H), dtype='f')
        prevs = []
        for t in range(T):
            prevs.append(self.h)
            self.h = np.tanh(xs[:, t] @ Wx + self.h @ Wh + b)
            hs[:, t] = self.h
        self.cache = (xs, prevs, hs)
        return hs

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        xs, prevs, hs = self.cache
        N, T, D = xs.shape
        dxs = np.empty((N, T, D), dtype='f')
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(Wh[0])
        dh = 0
        for t in reversed(range(T)):
            da = (dhs[:, t] + dh) * (1 - hs[:, t] ** 2)
            dWx += xs[:, t].T @ da
            dWh += prevs[t].T @ da
            db += da.sum(axis=0)
            dxs[:, t] = da @ Wx.T
            dh = da @ Wh.T
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dxs


class TimeAffine:
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
        N, T, M = dout.shape
        self.grads[0][...] = self.x.reshape(N * T, -1).T @ dout.reshape(N * T, M)
        self.grads[1][...] = dout.sum(axis=(0, 1))
        return dout @ W.T


class TimeSoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, xs, ts):
        N, T, V = xs.shape
        p = softmax(xs.reshape(N * T, V))
        t = ts.reshape(N * T)
        self.cache = (p, t, (N, T, V))
        return -np.log(p[np.arange(N * T), t]).mean()

    def backward(self, dout=1):
        p, t, shape = self.cache
        dx = p.copy()
        dx[np.arange(len(t)), t] -= 1
        return (dx * dout / len(t)).reshape(shape)
