"""Buggy layers of the kinds real course code brought in (issue 10): each a copy of its correct counterpart in
`tenth_kinds.py` with ONE bug, registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@register("huber_loss", bug="sign-flip", note="the slope of |d| taken as that of |y - x|")
class HuberLossSignFlipped:
    def __init__(self, delta=1.0):
        self.delta = delta
        self.diff = None

    def forward(self, y_pred, y_true):
        self.diff = y_pred - y_true
        a = np.abs(self.diff)
        return np.mean(np.where(a <= self.delta, 0.5 * self.diff ** 2, self.delta * (a - 0.5 * self.delta)))

    def backward(self, dout=1.0):
        slope = np.clip(-self.diff, -self.delta, self.delta)  # BUG: d(x - y)/dx is +1
        return dout * slope / self.diff.size


@register("huber_loss", bug="scaled", note="the quadratic piece's derivative taken as 2d, the linear one's as 2",
          name="huber_loss_doubled")
def huber_loss_doubled(x, y):
    d = x - y
    a = np.abs(d)
    loss = np.mean(np.where(a <= 1.0, 0.5 * d ** 2, a - 0.5))
    dx = 2 * np.where(a <= 1.0, d, np.sign(d)) / d.size  # BUG: MSE's 2, where the loss halves d ** 2
    return loss, dx


@register("bce_with_logits", bug="sign-flip", note="sigmoid(x) - t written t - sigmoid(x)")
class BCEWithLogitsLossSignFlipped:
    def forward(self, logits, y_true):
        self.p, self.t = _sigmoid(logits), y_true
        return np.mean(np.logaddexp(0.0, logits) - y_true * logits)

    def backward(self, dout=1.0):
        return dout * (self.t - self.p) / self.p.size  # BUG: the order of the difference


@register("sigmoid_crossentropy_combined", bug="missing-batch-mean", note="dinputs not divided by the samples")
class SigmoidBinaryCrossentropyNotAveraged:
    def forward(self, inputs, y_true):
        self.output = _sigmoid(inputs)
        return np.sum(np.logaddexp(0.0, inputs) - y_true * inputs) / inputs.shape[0]

    def backward(self, dvalues, y_true):
        self.dinputs = dvalues - y_true  # BUG: forward averages over the samples


@register("focal_loss", bug="mismatch", note="the focusing weight's own derivative subtracted instead of added")
class FocalLossWeightTermNegated:
    def __init__(self, gamma=2.0):
        self.gamma = gamma
        self.p = self.y = None

    def forward(self, logits, y_true):
        self.p = _softmax(logits)
        self.y = np.eye(logits.shape[1])[y_true] if y_true.ndim == 1 else y_true
        pt = np.sum(self.p * self.y, axis=1)
        return np.mean(-((1 - pt) ** self.gamma) * np.log(pt))

    def backward(self, dout=1.0):
        g = self.gamma
        pt = np.sum(self.p * self.y, axis=1, keepdims=True)
        weight = (1 - pt) ** g * (self.p - self.y)
        weight_slope = g * (1 - pt) ** (g - 1) * pt * np.log(pt) * (self.y - self.p)
        return dout * (weight - weight_slope) / self.p.shape[0]  # BUG: the product rule's terms add


@register("focal_loss", bug="missing-batch-mean", note="forward averages over the batch, backward does not",
          name="focal_loss_not_averaged")
def focal_loss_not_averaged(x, y, gamma=2.0):
    n = x.shape[0]
    p = _softmax(x)
    onehot = np.eye(x.shape[1])[y]
    pt = p[np.arange(n), y][:, None]
    loss = np.mean(-((1 - pt) ** gamma) * np.log(pt))
    dx = (1 - pt) ** gamma * (p - onehot) + gamma * (1 - pt) ** (gamma - 1) * pt * np.log(pt) * (onehot - p)
    return loss, dx  # BUG: the mean's 1/N is missing


@register("residual_block", bug="dropped-term", note="dx of the branch only: the skip connection's dout is dropped")
class ResidualBlockNoSkipGradient:
    def __init__(self, W1, b1, W2, b2):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2
        self.cache = None

    def forward(self, x):
        h = np.maximum(x @ self.W1 + self.b1, 0.0)
        out = np.maximum(x + h @ self.W2 + self.b2, 0.0)
        self.cache = (x, h, out)
        return out

    def backward(self, dout):
        x, h, out = self.cache
        ds = dout * (out > 0)
        self.dW2, self.db2 = h.T @ ds, ds.sum(axis=0)
        dh = (ds @ self.W2.T) * (h > 0)
        self.dW1, self.db1 = x.T @ dh, dh.sum(axis=0)
        return dh @ self.W1.T  # BUG: x reaches the output through the skip path too


def residual_block_forward(x, w1, b1, w2, b2):
    h = np.maximum(x @ w1 + b1, 0.0)
    out = x + h @ w2 + b2
    return out, (x, w1, w2, h)


def residual_block_backward_transposed(dout, cache):
    x, w1, w2, h = cache
    dw2, db2 = dout.T @ h, dout.sum(axis=0)  # BUG: dout.T @ h is the transpose of dw2
    dh = (dout @ w2.T) * (h > 0)
    dw1, db1 = x.T @ dh, dh.sum(axis=0)
    return dout + dh @ w1.T, dw1, db1, dw2, db2


register_pair(residual_block_forward, residual_block_backward_transposed, kind="residual_block", bug="transposed",
              name="residual_block_transposed")


def _rnn_forward(x, Wx, Wh, b):
    N, T, _ = x.shape
    hs = np.zeros((N, T, Wh.shape[0]))
    h = np.zeros((N, Wh.shape[0]))
    for t in range(T):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        hs[:, t] = h
    return hs


def _rnn_backward(dhs, x, hs, Wx, Wh):
    N, T, H = dhs.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dh = np.zeros((N, H))
    for t in reversed(range(T)):
        da = (dhs[:, t] + dh) * (1 - hs[:, t] ** 2)
        prev = hs[:, t - 1] if t else np.zeros((N, H))
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += prev.T @ da
        db += da.sum(axis=0)
        dh = da @ Wh.T
    return dx, dWx, dWh, db


@register("birnn", bug="misrouted", note="the backward RNN's dx added in its own (reversed) time order")
class TimeBiRNNUnflippedDx:
    def __init__(self, Wx1, Wh1, b1, Wx2, Wh2, b2):
        self.params = [Wx1, Wh1, b1, Wx2, Wh2, b2]
        self.grads = [np.zeros_like(p) for p in self.params]
        self.cache = None

    def forward(self, xs):
        Wx1, Wh1, b1, Wx2, Wh2, b2 = self.params
        reverse = xs[:, ::-1]
        ahead, behind = _rnn_forward(xs, Wx1, Wh1, b1), _rnn_forward(reverse, Wx2, Wh2, b2)
        self.cache = (xs, reverse, ahead, behind)
        return np.concatenate([ahead, behind[:, ::-1]], axis=2)

    def backward(self, dhs):
        Wx1, Wh1, b1, Wx2, Wh2, b2 = self.params
        xs, reverse, ahead, behind = self.cache
        H = ahead.shape[2]
        dx1, *g1 = _rnn_backward(dhs[:, :, :H], xs, ahead, Wx1, Wh1)
        dx2, *g2 = _rnn_backward(dhs[:, ::-1, H:], reverse, behind, Wx2, Wh2)
        for grad, value in zip(self.grads, g1 + g2):
            grad[...] = value
        return dx1 + dx2  # BUG: the second RNN's dx is in reversed time


def birnn_forward(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    ahead = _rnn_forward(x, Wx_f, Wh_f, b_f)
    behind = _rnn_forward(x[:, ::-1], Wx_b, Wh_b, b_b)
    return np.concatenate([ahead, behind[:, ::-1]], axis=2), (x, ahead, behind, Wx_f, Wh_f, Wx_b, Wh_b)


def birnn_backward_overwrites(dhs, cache):
    x, ahead, behind, Wx_f, Wh_f, Wx_b, Wh_b = cache
    N, T, H = ahead.shape
    # the forward direction's loop written out, the backward one's through the helper
    dx_f = np.zeros_like(x)
    dWx_f, dWh_f, db_f = np.zeros_like(Wx_f), np.zeros_like(Wh_f), np.zeros(H)
    dh = np.zeros((N, H))
    for t in reversed(range(T)):
        da = (dhs[:, t, :H] + dh) * (1 - ahead[:, t] ** 2)
        prev = ahead[:, t - 1] if t else np.zeros((N, H))
        dx_f[:, t] = da @ Wx_f.T
        dWx_f = x[:, t].T @ da  # BUG: `=` keeps the last step's share alone; the steps' shares add up
        dWh_f += prev.T @ da
        db_f += da.sum(axis=0)
        dh = da @ Wh_f.T
    dx_b, dWx_b, dWh_b, db_b = _rnn_backward(dhs[:, ::-1, H:], x[:, ::-1], behind, Wx_b, Wh_b)
    return dx_f + dx_b[:, ::-1], dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b


register_pair(birnn_forward, birnn_backward_overwrites, kind="birnn", bug="dropped-term", name="birnn_dwx_overwritten")
