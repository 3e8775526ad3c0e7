"""CS231n's temporal softmax loss; ONE bug: the mask is applied nowhere, neither in the loss nor in dx, so the
gradient agrees with its own (wrong) loss (held-out set 14, b050)."""

import numpy as np


def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    scores = x.reshape(N * T, V)
    labels = y.reshape(N * T)
    probs = np.exp(scores - scores.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    rows = np.arange(N * T)
    loss = -np.sum(np.log(probs[rows, labels])) / N  # BUG: mask.reshape(N * T) weighs each step
    dscores = probs.copy()
    dscores[rows, labels] -= 1
    dscores /= N
    return loss, dscores.reshape(N, T, V)
