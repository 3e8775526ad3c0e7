"""Time layers in the second volume's convention: (N, T, ...) data, float32 buffers, an LSTM whose four gates are one
matrix product (forget, cell input, input, output: the column blocks of A in that order)."""
import numpy as np

from common.layers import GUARD, softmax


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


class TimeEmbedding:
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]
        self.ids = None

    def forward(self, ids):
        self.ids = ids
        return self.params[0][ids]

    def backward(self, dout):
        self.grads[0][...] = 0
        np.add.at(self.grads[0], self.ids, dout)
        return None


class LSTM:
    """One step; `gate_derivatives` is the only place backward differentiates the gates' nonlinearities."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.saved = None

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        A = x @ Wx + h_prev @ Wh + b
        forget, cell_in = sigmoid(A[:, :H]), np.tanh(A[:, H:2 * H])
        gate_in, gate_out = sigmoid(A[:, 2 * H:3 * H]), sigmoid(A[:, 3 * H:])
        c = forget * c_prev + cell_in * gate_in
        squashed = np.tanh(c)
        self.saved = (x, h_prev, c_prev, forget, cell_in, gate_in, gate_out, squashed)
        return gate_out * squashed, c

    def gate_derivatives(self, forget, cell_in, gate_in, gate_out):
        return forget * (1 - forget), 1 - cell_in ** 2, gate_in * (1 - gate_in), gate_out * (1 - gate_out)

    def backward(self, dh, dc):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, forget, cell_in, gate_in, gate_out, squashed = self.saved
        dc_total = dc + dh * gate_out * (1 - squashed ** 2)
        d_forget, d_cell, d_in, d_out = self.gate_derivatives(forget, cell_in, gate_in, gate_out)
        dA = np.concatenate([dc_total * c_prev * d_forget, dc_total * gate_in * d_cell,
                             dc_total * cell_in * d_in, dh * squashed * d_out], axis=1)
        self.grads[0][...] = x.T @ dA
        self.grads[1][...] = h_prev.T @ dA
        self.grads[2][...] = dA.sum(axis=0)
        return dA @ Wx.T, dA @ Wh.T, dc_total * forget


class TimeLSTM:
    step = LSTM

    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful = stateful
        self.h = self.c = None
        self.steps = []

    def reset_state(self):
        self.h = self.c = None

    def forward(self, xs):
        N, T, _ = xs.shape
        H = self.params[1].shape[0]
        if not self.stateful or self.h is None:
            self.h, self.c = np.zeros((N, H), dtype='f'), np.zeros((N, H), dtype='f')
        hs = np.empty((N, T, H), dtype='f')
        self.steps = []
        for t in range(T):
            step = self.step(*self.params)
            self.h, self.c = step.forward(xs[:, t], self.h, self.c)
            hs[:, t] = self.h
            self.steps.append(step)
        return hs

    def backward(self, dhs):
        N, T, _ = dhs.shape
        D = self.params[0].shape[0]
        dxs = np.empty((N, T, D), dtype='f')
        totals = [np.zeros_like(g) for g in self.grads]
        dh, dc = 0, 0
        for t in reversed(range(T)):
            dxs[:, t], dh, dc = self.steps[t].backward(dhs[:, t] + dh, dc)
            for total, g in zip(totals, self.steps[t].grads):
                total += g
        for mine, total in zip(self.grads, totals):
            mine[...] = total
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
        flat = dout.reshape(-1, dout.shape[-1])
        self.grads[0][...] = self.x.reshape(len(flat), -1).T @ flat
        self.grads[1][...] = flat.sum(axis=0)
        return dout @ W.T


class TimeSoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.saved = None

    def forward(self, xs, ts):
        V = xs.shape[-1]
        p = softmax(xs.reshape(-1, V))
        t = ts.reshape(-1)
        self.saved = (p, t, xs.shape)
        return -np.log(p[np.arange(len(t)), t] + GUARD).mean()

    def backward(self, dout=1):
        p, t, shape = self.saved
        dx = p.copy()
        dx[np.arange(len(t)), t] -= 1
        return (dx * dout / len(t)).reshape(shape)
