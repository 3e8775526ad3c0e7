# A third set of one-bug layers in learners' own styles (grads in dicts, product rules, boolean masks),
# one mistake each; written for gradlab's new-user tests, not taken from any course.
import numpy as np


class Dense:
    # BUG: extra-batch-mean  (dW and db divided by the batch size inside a layer that takes no mean)
    def __init__(self, W, b):
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}

    def forward(self, x):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        n = self.x.shape[0]
        self.grads["W"] = self.x.T @ dout / n
        self.grads["b"] = dout.sum(axis=0) / n
        return dout @ self.params["W"].T


class Swish:
    # BUG: dropped-term  (product rule half done: d(x * s)/dx = s + x * s * (1 - s), the x * s' term left out)
    def forward(self, x):
        self.x = x
        self.s = 1.0 / (1.0 + np.exp(-x))
        return x * self.s

    def backward(self, dout):
        return dout * self.s


class Relu:
    # BUG: misrouted  (mask written the wrong way round: gradient sent where the input was negative)
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return dout * self.mask


def mse_loss(x, y):
    # BUG: scaled  (loss is the mean over all N * D elements, gradient divided by N only)
    diff = x - y
    loss = np.mean(diff ** 2)
    dx = 2.0 * diff / x.shape[0]
    return loss, dx


def tanh_forward(x):
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    # BUG: wrong-input  (tanh' applied to the cached output, which already is tanh(x))
    out = cache
    return dout * (1.0 - np.tanh(out) ** 2)


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode != "train":
        return x, (dropout_param, None)
    keep = np.random.rand(*x.shape) < p
    return x * keep / p, (dropout_param, keep)


def dropout_backward(dout, cache):
    # BUG: misrouted  (the boolean mask negated: gradient goes to the dropped units, none to the kept)
    dropout_param, keep = cache
    return dout * (~keep) / dropout_param["p"]


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache):
    # BUG: wrong-reduction  (db summed over the hidden units, axis 1, instead of over the batch)
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1.0 - next_h ** 2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(axis=1)
