"""Correct layers of the kinds real course code brought in (issue 10): the Huber loss, binary cross-entropy from
logits, the focal loss, a residual block and a bidirectional RNN, each in class style (the manner of learners'
PyTorch-like frameworks and of the textbook's second volume) and function style (CS231n's).
"""

import numpy as np

from gradlab.registry import register, register_pair


def _sigmoid(x):
    # two branches so that exp never overflows: exp(-|x|) <= 1
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _one_hot(y, classes):
    return np.eye(classes)[y] if y.ndim == 1 else y


@register("huber_loss")
class HuberLoss:
    """The mean over every element of d² / 2 inside delta and delta·(|d| - delta / 2) outside."""

    def __init__(self, delta=1.0):
        self.delta = delta
        self.diff = None

    def forward(self, y_pred, y_true):
        self.diff = y_pred - y_true
        a = np.abs(self.diff)
        return np.mean(np.where(a <= self.delta, 0.5 * self.diff ** 2, self.delta * (a - 0.5 * self.delta)))

    def backward(self, dout=1.0):
        slope = np.clip(self.diff, -self.delta, self.delta)
        return dout * slope / self.diff.size


def huber_loss_forward(x, y, delta=1.0):
    d = x - y
    a = np.abs(d)
    return np.mean(np.where(a <= delta, 0.5 * d ** 2, delta * (a - 0.5 * delta))), (d, delta)


@register("huber_loss")
def huber_loss(x, y):
    """Function style: (loss, dx)."""
    loss, (d, delta) = huber_loss_forward(x, y)
    return loss, np.where(np.abs(d) <= delta, d, delta * np.sign(d)) / d.size


@register("bce_with_logits")
class BCEWithLogitsLoss:
    """PyTorch's reduction: the mean over every output of log(1 + e^x) - t·x."""

    def forward(self, logits, y_true):
        self.p, self.t = _sigmoid(logits), y_true
        return np.mean(np.logaddexp(0.0, logits) - y_true * logits)

    def backward(self, dout=1.0):
        return dout * (self.p - self.t) / self.p.size


@register("bce_with_logits")
class SigmoidBinaryCrossentropy:
    """The nnfs book's manner: forward stores the sigmoid in self.output, backward(dvalues, y_true) is given it and
    stores self.dinputs; the loss sums a sample's outputs and averages over the samples."""

    def forward(self, inputs, y_true):
        self.output = _sigmoid(inputs)
        return np.sum(np.logaddexp(0.0, inputs) - y_true * inputs) / inputs.shape[0]

    def backward(self, dvalues, y_true):
        self.dinputs = (dvalues - y_true) / dvalues.shape[0]


@register("sigmoid_crossentropy_combined")
class ActivationSigmoidLossBinaryCrossentropy:
    """The same for one output, labels (N,) or (N, 1): the book reshapes them to a column."""

    def forward(self, inputs, y_true):
        self.output = _sigmoid(inputs)
        y = y_true.reshape(-1, 1)
        return np.mean(np.logaddexp(0.0, inputs) - y * inputs)

    def backward(self, dvalues, y_true):
        y = y_true.reshape(-1, 1)
        self.dinputs = (dvalues - y) / dvalues.shape[0]


@register("bce_with_logits")
def bce_with_logits(x, y):
    """Function style: (loss, dx), the mean over every output."""
    loss = np.mean(np.logaddexp(0.0, x) - y * x)
    return loss, (_sigmoid(x) - y) / x.size


@register("focal_loss")
class FocalLoss:
    """Over classes: -(1 - p_t)^gamma log p_t of the softmax, averaged over the batch."""

    def __init__(self, gamma=2.0):
        self.gamma = gamma
        self.p = self.y = None

    def forward(self, logits, y_true):
        self.p = _softmax(logits)
        self.y = _one_hot(y_true, logits.shape[1])
        pt = np.sum(self.p * self.y, axis=1)
        return np.mean(-((1 - pt) ** self.gamma) * np.log(pt))

    def backward(self, dout=1.0):
        g = self.gamma
        pt = np.sum(self.p * self.y, axis=1, keepdims=True)
        # d/dz of -(1 - pt)^g log pt, with dpt/dz = pt (y - p): the log's term and the weight's own term
        weight = (1 - pt) ** g * (self.p - self.y)
        weight_slope = g * (1 - pt) ** (g - 1) * pt * np.log(pt) * (self.y - self.p)
        return dout * (weight + weight_slope) / self.p.shape[0]


@register("focal_loss")
def focal_loss(x, y, gamma=2.0):
    """Function style, index labels: (loss, dx)."""
    n = x.shape[0]
    p = _softmax(x)
    onehot = np.eye(x.shape[1])[y]
    pt = p[np.arange(n), y][:, None]
    loss = np.mean(-((1 - pt) ** gamma) * np.log(pt))
    dx = (1 - pt) ** gamma * (p - onehot) + gamma * (1 - pt) ** (gamma - 1) * pt * np.log(pt) * (onehot - p)
    return loss, dx / n


@register("residual_block")
class ResidualBlock:
    """relu(x + relu(x W1 + b1) W2 + b2)."""

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
        # the skip path and the branch both reach x
        return ds + dh @ self.W1.T


def residual_block_forward(x, w1, b1, w2, b2):
    h = np.maximum(x @ w1 + b1, 0.0)
    out = x + h @ w2 + b2
    return out, (x, w1, w2, h)


def residual_block_backward(dout, cache):
    x, w1, w2, h = cache
    dw2, db2 = h.T @ dout, dout.sum(axis=0)
    dh = (dout @ w2.T) * (h > 0)
    dw1, db1 = x.T @ dh, dh.sum(axis=0)
    dx = dout + dh @ w1.T
    return dx, dw1, db1, dw2, db2


register_pair(residual_block_forward, residual_block_backward, kind="residual_block")


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


@register("birnn")
class TimeBiRNN:
    """Two RNNs from zero states, the second over the reversed sequence; hidden states joined on the last axis."""

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
        # the second RNN read the sequence reversed: its dx comes back flipped
        return dx1 + dx2[:, ::-1]


def birnn_forward(x, Wx_f, Wh_f, b_f, Wx_b, Wh_b, b_b):
    ahead = _rnn_forward(x, Wx_f, Wh_f, b_f)
    behind = _rnn_forward(x[:, ::-1], Wx_b, Wh_b, b_b)
    return np.concatenate([ahead, behind[:, ::-1]], axis=2), (x, ahead, behind, Wx_f, Wh_f, Wx_b, Wh_b)


def birnn_backward(dhs, cache):
    x, ahead, behind, Wx_f, Wh_f, Wx_b, Wh_b = cache
    H = ahead.shape[2]
    dx_f, dWx_f, dWh_f, db_f = _rnn_backward(dhs[:, :, :H], x, ahead, Wx_f, Wh_f)
    dx_b, dWx_b, dWh_b, db_b = _rnn_backward(dhs[:, ::-1, H:], x[:, ::-1], behind, Wx_b, Wh_b)
    return dx_f + dx_b[:, ::-1], dWx_f, dWh_f, db_f, dWx_b, dWh_b, db_b


register_pair(birnn_forward, birnn_backward, kind="birnn")
