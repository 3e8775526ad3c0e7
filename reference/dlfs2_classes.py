"""Correct recurrent layers of the textbook's second volume (class style, `params`/`grads` lists).

`RNN(Wx, Wh, b)` and `LSTM(Wx, Wh, b)` are one step, taking the previous state in forward.
`TimeRNN(Wx, Wh, b, stateful=False)` and `TimeLSTM(Wx, Wh, b, stateful=False)`: `forward(xs) -> hs`
over a whole sequence (N, T, D) -> (N, T, H), `backward(dhs) -> dxs`, the weight gradients written
into the `grads` list in place. A stateful layer carries h (and c) from one forward to the next; a
layer built with the default `stateful=False` starts every forward from zeros. The LSTM's gates sit
in the 4H columns in the book's order f, g, i, o.
"""

import numpy as np

from gradlab.registry import register


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


@register("rnn_step")
class RNN:
    """One step: forward(x, h_prev) -> h_next, backward(dh_next) -> (dx, dh_prev), grads filled in place."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, h_next = self.cache
        da = dh_next * (1 - h_next ** 2)
        for grad, value in zip(self.grads, (x.T @ da, h_prev.T @ da, da.sum(axis=0))):
            grad[...] = value
        return da @ Wx.T, da @ Wh.T


@register("lstm_step")
class LSTM:
    """One step: forward(x, h_prev, c_prev) -> (h_next, c_next), backward(dh_next, dc_next) ->
    (dx, dh_prev, dc_prev); gates f, g, i, o."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev, c_prev):
        Wx, Wh, b = self.params
        H = h_prev.shape[1]
        a = x @ Wx + h_prev @ Wh + b
        f, g = _sigmoid(a[:, :H]), np.tanh(a[:, H:2 * H])
        i, o = _sigmoid(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
        c_next = f * c_prev + g * i
        tanh_c = np.tanh(c_next)
        self.cache = (x, h_prev, c_prev, f, g, i, o, tanh_c)
        return o * tanh_c, c_next

    def backward(self, dh_next, dc_next):
        Wx, Wh, _ = self.params
        x, h_prev, c_prev, f, g, i, o, tanh_c = self.cache
        ds = dc_next + dh_next * o * (1 - tanh_c ** 2)
        da = np.hstack([ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                        dh_next * tanh_c * o * (1 - o)])
        for grad, value in zip(self.grads, (x.T @ da, h_prev.T @ da, da.sum(axis=0))):
            grad[...] = value
        return da @ Wx.T, da @ Wh.T, ds * f


@register("time_rnn")
class TimeRNN:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful = stateful
        self.h = None
        self.steps = None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        if not self.stateful or self.h is None:
            self.h = np.zeros((N, Wh.shape[0]))
        hs = np.zeros((N, T, Wh.shape[0]), dtype=np.result_type(xs, Wx, Wh, b))
        self.steps = []
        for t in range(T):
            h_prev = self.h
            self.h = np.tanh(xs[:, t] @ Wx + h_prev @ Wh + b)
            self.steps.append((xs[:, t], h_prev, self.h))
            hs[:, t] = self.h
        return hs

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
        dh = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, h = self.steps[t]
            da = (dhs[:, t] + dh) * (1 - h ** 2)  # h_t went to the output at t and to step t+1
            dxs[:, t], dh = da @ Wx.T, da @ Wh.T
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        return dxs


@register("time_lstm")
class TimeLSTM:
    def __init__(self, Wx, Wh, b, stateful=False):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.stateful = stateful
        self.h = self.c = None
        self.steps = None

    def forward(self, xs):
        Wx, Wh, b = self.params
        N, T, _ = xs.shape
        H = Wh.shape[0]
        if not self.stateful or self.h is None:
            self.h, self.c = np.zeros((N, H)), np.zeros((N, H))
        hs = np.zeros((N, T, H), dtype=np.result_type(xs, Wx, Wh, b))
        self.steps = []
        for t in range(T):
            h_prev, c_prev = self.h, self.c
            a = xs[:, t] @ Wx + h_prev @ Wh + b
            f, g = _sigmoid(a[:, :H]), np.tanh(a[:, H:2 * H])
            i, o = _sigmoid(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:])
            self.c = f * c_prev + g * i
            tanh_c = np.tanh(self.c)
            self.h = o * tanh_c
            self.steps.append((xs[:, t], h_prev, c_prev, f, g, i, o, tanh_c))
            hs[:, t] = self.h
        return hs

    def backward(self, dhs):
        Wx, Wh, _ = self.params
        dxs = np.zeros((*dhs.shape[:2], Wx.shape[0]))
        dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
        dh = np.zeros(dhs[:, 0].shape)
        dc = np.zeros(dhs[:, 0].shape)
        for t in reversed(range(dhs.shape[1])):
            x, h_prev, c_prev, f, g, i, o, tanh_c = self.steps[t]
            dh_t = dhs[:, t] + dh
            ds = dc + dh_t * o * (1 - tanh_c ** 2)  # c_t reaches the loss through h_t and through c_{t+1}
            da = np.hstack([ds * c_prev * f * (1 - f), ds * i * (1 - g ** 2), ds * g * i * (1 - i),
                            dh_t * tanh_c * o * (1 - o)])
            dxs[:, t], dh, dc = da @ Wx.T, da @ Wh.T, ds * f
            dWx += x.T @ da
            dWh += h_prev.T @ da
            db += da.sum(axis=0)
        for grad, value in zip(self.grads, (dWx, dWh, db)):
            grad[...] = value
        return dxs


@register("time_softmax_with_loss")
class TimeSoftmaxWithLoss:
    """Cross-entropy of the softmax at every step, averaged over the N * T steps."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, xs, ts):
        shifted = xs - xs.max(axis=2, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=2, keepdims=True))
        self.cache = (np.exp(log_p), ts)
        return -np.take_along_axis(log_p, ts[..., None], axis=2).mean()

    def backward(self, dout=1):
        p, ts = self.cache
        dxs = p.copy()
        np.put_along_axis(dxs, ts[..., None], np.take_along_axis(p, ts[..., None], axis=2) - 1, axis=2)
        return dxs * dout / ts.size
