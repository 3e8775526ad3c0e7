"""Buggy layers with the sign of one term of the gradient flipped, not the whole gradient's.

The classic one: softmax-with-loss's dx = p - onehot written with the probabilities negated (CS231n's
`dx = -probs` before `dx[range(N), y] -= 1`, the textbook's `dx = -self.y` likewise), in both
conventions and in the time-step forms (with CS231n's mask), or with the target's 1 added; softmax's
Jacobian diag(y) - y y^T with the outer product added; a leaky ReLU whose negative side's slope lost its
sign. Where the flipped term stands alone the gradient is exactly the negative of the true one, and a
loss's flipped labels' term makes dx move the wrong way when the labels change: gradlab must say
`sign-flip`, not a dropped term.
"""

import numpy as np

from gradlab.reference.dlfs2_classes import TimeSoftmaxWithLoss
from gradlab.registry import register


def _log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@register("softmax_with_loss", bug="sign-flip", note="dx = -y, then dx[target] -= 1: the probabilities negated")
class SoftmaxWithLossProbabilitiesNegated:
    def __init__(self):
        self.y = self.t = None

    def forward(self, x, t):
        self.t = t.argmax(axis=1) if t.ndim == 2 else t
        log_p = _log_softmax(x, axis=1)
        self.y = np.exp(log_p)
        return -log_p[np.arange(x.shape[0]), self.t].mean()

    def backward(self, dout=1):
        N = self.y.shape[0]
        dx = -self.y.copy()  # BUG: dx = y - onehot; only the target's 1 is subtracted
        dx[np.arange(N), self.t] -= 1
        return dx * dout / N


@register("softmax_with_loss", bug="sign-flip", name="softmax_loss_probabilities_negated")
def softmax_loss(x, y):
    N = x.shape[0]
    log_probs = _log_softmax(x, axis=1)
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = -np.exp(log_probs)  # BUG: dx = probs - onehot; only the target's 1 is subtracted
    dx[np.arange(N), y] -= 1
    return loss, dx / N


@register("softmax_with_loss", bug="sign-flip", note="dx = y, then dx[target] += 1: the labels' term added")
class SoftmaxWithLossTargetAdded(SoftmaxWithLossProbabilitiesNegated):
    def backward(self, dout=1):
        N = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(N), self.t] += 1  # BUG: dx = y - onehot, so the target's 1 is subtracted
        return dx * dout / N


@register("softmax_with_loss", bug="sign-flip", name="softmax_loss_target_added")
def softmax_loss_target_added(x, y):
    N = x.shape[0]
    log_probs = _log_softmax(x, axis=1)
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] += 1  # BUG: dx = probs - onehot, so the target's 1 is subtracted
    return loss, dx / N


@register("temporal_softmax_loss", bug="sign-flip", name="temporal_softmax_loss_probabilities_negated")
def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    log_p = _log_softmax(x, axis=2).reshape(N * T, V)
    y_flat, mask_flat = y.reshape(N * T), mask.reshape(N * T)
    loss = -np.sum(mask_flat * log_p[np.arange(N * T), y_flat]) / N
    dx_flat = -np.exp(log_p)  # BUG: dx = probs - onehot; only the target's 1 is subtracted
    dx_flat[np.arange(N * T), y_flat] -= 1
    dx_flat = dx_flat / N * mask_flat[:, None]
    return loss, dx_flat.reshape(N, T, V)


@register("time_softmax_with_loss", bug="sign-flip", note="dxs = -p, then dxs[target] -= 1")
class TimeSoftmaxWithLossProbabilitiesNegated(TimeSoftmaxWithLoss):
    def backward(self, dout=1):
        p, safe, counted = self.cache
        dxs = -p.copy()  # BUG: dxs = p - onehot; only the target's 1 is subtracted
        np.put_along_axis(dxs, safe[..., None], np.take_along_axis(dxs, safe[..., None], axis=2) - 1, axis=2)
        return dxs * counted[..., None] * dout / counted.sum()


@register("softmax", bug="sign-flip", note="diag(y) + y y^T: the outer product added where it is subtracted")
class SoftmaxOuterProductAdded:
    def __init__(self):
        self.out = None

    def forward(self, x):
        self.out = np.exp(_log_softmax(x, axis=1))
        return self.out

    def backward(self, dout):
        y = self.out
        return y * dout + y * np.sum(y * dout, axis=1, keepdims=True)  # BUG: the second term is subtracted


@register("leaky_relu", bug="sign-flip", note="the negative side's slope -alpha where forward has alpha")
class LeakyReluNegativeSlopeSign:
    def __init__(self, alpha=0.1):
        self.alpha = alpha
        self.mask = None

    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, self.alpha * x, x)

    def backward(self, dout):
        return np.where(self.mask, -self.alpha * dout, dout)  # BUG: the slope there is alpha
