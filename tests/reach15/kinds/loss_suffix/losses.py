"""Losses named as PyTorch names its classes, a loss's name with `_loss` after it, written as functions that return
(loss, dx); and the textbook's `softmax_loss(x, t)`, which returns the loss alone (a forward helper, not a layer)."""
import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def bce_with_logits_loss(logits, targets):
    loss = np.mean(np.logaddexp(0.0, logits) - targets * logits)
    return loss, (_sigmoid(logits) - targets) / logits.size


def binary_cross_entropy_loss(probs, targets):
    p = np.clip(probs, 1e-12, 1 - 1e-12)
    loss = -np.mean(targets * np.log(p) + (1 - targets) * np.log(1 - p))
    return loss, (p - targets) / (p * (1 - p)) / p.size


def softmax_cross_entropy_loss(scores, labels):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_p)
    dscores[np.arange(N), labels] -= 1
    return -log_p[np.arange(N), labels].mean(), dscores / N


def softmax_loss(x, t):
    shifted = x - x.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return -np.mean(np.log(p[np.arange(x.shape[0]), t] + 1e-7))
