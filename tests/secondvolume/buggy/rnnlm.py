"""A language model built on a TimeRNN of its own whose backward does not carry dh to the previous step."""
import sys
sys.path.append('..')
import numpy as np

from common.time_layers import TimeAffine, TimeEmbedding, TimeSoftmaxWithLoss


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
        for t in reversed(range(T)):
            da = dhs[:, t] * (1 - hs[:, t] ** 2)  # bug: the gradient from step t + 1 (dh) is not added
            dWx += xs[:, t].T @ da
            dWh += prevs[t].T @ da
            db += da.sum(axis=0)
            dxs[:, t] = da @ Wx.T
        self.grads[0][...] = dWx
        self.grads[1][...] = dWh
        self.grads[2][...] = db
        return dxs


class RnnLMNoCarry:
    """Bug in the TimeRNN it calls: every parameter up to the RNN is wrong, the output layer's right."""

    def __init__(self, vocab_size, wordvec_size, hidden_size):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = np.random.randn
        self.layers = [TimeEmbedding((rn(V, D) * 0.3).astype('f')),
                       TimeRNN((rn(D, H) / np.sqrt(D)).astype('f'), (rn(H, H) / np.sqrt(H)).astype('f'),
                               np.zeros(H, dtype='f'), stateful=True),
                       TimeAffine((rn(H, V) / np.sqrt(H)).astype('f'), np.zeros(V, dtype='f'))]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, xs, ts):
        for layer in self.layers:
            xs = layer.forward(xs)
        return self.loss_layer.forward(xs, ts)

    def backward(self, dout=1):
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def reset_state(self):
        self.layers[1].reset_state()
