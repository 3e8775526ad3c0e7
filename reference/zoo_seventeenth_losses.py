"""Buggy losses of the kinds session 32 added: each a copy of its correct counterpart in `seventeenth_losses.py` with
ONE bug, registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register


def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _log_softmax(x):
    z = x - x.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


@register("binary_focal_loss", bug="sign-flip", note="dp_t/dx's signs swapped between the targets",
          name="binary_focal_loss_signs_swapped")
def binary_focal_loss_signs_swapped(x, y, gamma=2.0):
    n = x.shape[0]
    p = _sigmoid(x)
    pt = np.where(y == 1, p, 1.0 - p)
    sign = np.where(y == 1, -1.0, 1.0)  # BUG: p_t rises with x where the target is 1, so +1 there
    loss = np.sum(-((1.0 - pt) ** gamma) * np.log(pt)) / n
    dloss_dpt = gamma * (1.0 - pt) ** (gamma - 1.0) * np.log(pt) - (1.0 - pt) ** gamma / pt
    return loss, dloss_dpt * sign * pt * (1.0 - pt) / n


@register("binary_focal_loss", bug="missing-batch-mean", note="forward averages over the batch, backward does not",
          name="SigmoidFocalLossMeanNotAveraged")
class SigmoidFocalLossMeanNotAveraged:
    def __init__(self, gamma=2.0):
        self.gamma = gamma
        self.x = self.y = None

    def forward(self, logits, targets):
        self.x, self.y = logits, targets
        p = _sigmoid(logits)
        pt = np.where(targets == 1, p, 1.0 - p)
        return np.sum(-((1.0 - pt) ** self.gamma) * np.log(pt)) / logits.shape[0]

    def backward(self, dout=1.0):
        g = self.gamma
        p = _sigmoid(self.x)
        pt = np.where(self.y == 1, p, 1.0 - p)
        sign = np.where(self.y == 1, 1.0, -1.0)
        dloss_dpt = g * (1.0 - pt) ** (g - 1.0) * np.log(pt) - (1.0 - pt) ** g / pt
        return dout * dloss_dpt * sign * pt * (1.0 - pt)  # BUG: forward's mean over the batch


@register("label_smoothing_crossentropy", bug="wrong-input", note="backward subtracts the hard labels",
          name="LabelSmoothingCrossEntropyHardLabels")
class LabelSmoothingCrossEntropyHardLabels:
    def __init__(self, smoothing=0.1):
        self.smoothing = smoothing
        self.p = self.onehot = self.target = None

    def forward(self, x, t):
        n, c = x.shape
        self.onehot = np.eye(c)[t] if t.ndim == 1 else t
        self.target = (1.0 - self.smoothing) * self.onehot + self.smoothing / c
        log_p = _log_softmax(x)
        self.p = np.exp(log_p)
        return -np.sum(self.target * log_p) / n

    def backward(self, dout=1.0):
        return dout * (self.p - self.onehot) / self.p.shape[0]  # BUG: self.target, the smoothed labels, belongs


@register("label_smoothing_crossentropy", bug="missing-batch-mean", note="dx not divided by N",
          name="label_smoothing_cross_entropy_not_averaged")
def label_smoothing_cross_entropy_not_averaged(x, y, epsilon=0.1):
    n, c = x.shape
    target = np.full((n, c), epsilon / (c - 1))
    target[np.arange(n), y] = 1.0 - epsilon
    log_p = _log_softmax(x)
    loss = -np.sum(target * log_p) / n
    return loss, np.exp(log_p) - target  # BUG: the loss is the batch mean
