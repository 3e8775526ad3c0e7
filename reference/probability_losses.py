"""Correct losses on probabilities, written in the "Neural Networks from Scratch" book's conventions and in
function style: a loss class whose `forward(y_pred, y_true)` returns one loss per sample and whose `calculate`
takes their mean; `backward(dvalues, y_true)`, given the predictions, stores `self.dinputs`. The combined
softmax and cross-entropy class's backward is given the softmax's output, which its forward stores.
"""

import numpy as np

from gradlab.registry import register

#: probabilities are clipped away from 0 and 1 before a log or a division, as the book does
EPSILON = 1e-7


class SampleLoss:
    """The mean over the batch of the per-sample losses forward returns."""

    def calculate(self, output, y):
        return np.mean(self.forward(output, y))


def one_hot(y, classes):
    return np.eye(classes)[y] if y.ndim == 1 else y


@register("categorical_crossentropy")
class CategoricalCrossentropy(SampleLoss):
    def forward(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return -np.log(np.sum(p * one_hot(y_true, p.shape[1]), axis=1))

    def backward(self, dvalues, y_true):
        n = dvalues.shape[0]
        self.dinputs = -one_hot(y_true, dvalues.shape[1]) / dvalues / n


@register("binary_crossentropy")
class BinaryCrossentropy(SampleLoss):
    def forward(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)), axis=-1)

    def backward(self, dvalues, y_true):
        n, outputs = dvalues.shape
        p = np.clip(dvalues, EPSILON, 1 - EPSILON)
        self.dinputs = ((1 - y_true) / (1 - p) - y_true / p) / outputs / n


@register("mae_loss")
class MeanAbsoluteError(SampleLoss):
    def forward(self, y_pred, y_true):
        return np.mean(np.abs(y_pred - y_true), axis=-1)

    def backward(self, dvalues, y_true):
        n, outputs = dvalues.shape
        self.dinputs = np.sign(dvalues - y_true) / outputs / n


@register("softmax_crossentropy_combined")
class SoftmaxCategoricalCrossentropy:
    """Softmax and cross-entropy together: backward(dvalues, y_true) is given forward's self.output."""

    def __init__(self):
        self.loss = CategoricalCrossentropy()

    def forward(self, inputs, y_true):
        e = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = e / np.sum(e, axis=1, keepdims=True)
        return self.loss.calculate(self.output, y_true)

    def backward(self, dvalues, y_true):
        n = dvalues.shape[0]
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
        grad = dvalues.copy()
        grad[np.arange(n), labels] -= 1
        self.dinputs = grad / n


@register("binary_crossentropy")
def binary_cross_entropy(p, y):
    """Function style: (loss, dp), the mean over every output."""
    q = np.clip(p, EPSILON, 1 - EPSILON)
    loss = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    dp = ((1 - y) / (1 - q) - y / q) / p.size
    return loss, dp


@register("categorical_crossentropy")
def categorical_cross_entropy(p, y):
    """Function style: (loss, dp) for index labels y."""
    n = p.shape[0]
    rows = np.arange(n)
    loss = -np.mean(np.log(np.clip(p[rows, y], EPSILON, 1.0)))
    dp = np.zeros_like(p)
    dp[rows, y] = -1.0 / p[rows, y] / n
    return loss, dp


@register("mae_loss")
def mae_loss(x, y):
    """Function style: (loss, dx), the mean over every element."""
    return np.mean(np.abs(x - y)), np.sign(x - y) / x.size
