"""Buggy losses on probabilities, each a copy of its correct neighbour in `reference/probability_losses.py`
with ONE bug, registered with its code. Written in the "Neural Networks from Scratch" book's conventions
(`backward(dvalues, y_true)` storing `self.dinputs`) and in function style.
"""

import numpy as np

from gradlab.registry import register

EPSILON = 1e-7


class SampleLoss:
    def calculate(self, output, y):
        return np.mean(self.forward(output, y))


@register("categorical_crossentropy", bug="missing-batch-mean", note="dinputs not divided by the samples")
class CategoricalCrossentropyNoSampleMean(SampleLoss):
    def forward(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        if y_true.ndim == 1:
            return -np.log(p[np.arange(len(p)), y_true])
        return -np.log(np.sum(p * y_true, axis=1))

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if y_true.ndim == 1:
            y_true = np.eye(dvalues.shape[1])[y_true]
        self.dinputs = -y_true / dvalues  # BUG: the mean over samples needs / samples
        self.dinputs = self.dinputs


@register("categorical_crossentropy", bug="sign-flip", note="the minus of -log dropped in backward")
class CategoricalCrossentropyPositive(SampleLoss):
    def forward(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        if y_true.ndim == 1:
            return -np.log(p[np.arange(len(p)), y_true])
        return -np.log(np.sum(p * y_true, axis=1))

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if y_true.ndim == 1:
            y_true = np.eye(dvalues.shape[1])[y_true]
        self.dinputs = y_true / dvalues  # BUG: d(-log p)/dp = -1/p
        self.dinputs = self.dinputs / samples


@register("binary_crossentropy", bug="extra-batch-mean", note="divided by the samples on both lines")
class BinaryCrossentropySampleMeanTwice(SampleLoss):
    def forward(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)), axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        p = np.clip(dvalues, EPSILON, 1 - EPSILON)
        self.dinputs = -(y_true / p - (1 - y_true) / (1 - p)) / outputs / samples
        self.dinputs = self.dinputs / samples  # BUG: the line above already divided by samples


@register("binary_crossentropy", bug="sign-flip", note="the negative class's term added with the wrong sign")
class BinaryCrossentropyNegativeTermSign(SampleLoss):
    def forward(self, y_pred, y_true):
        p = np.clip(y_pred, EPSILON, 1 - EPSILON)
        return np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)), axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        p = np.clip(dvalues, EPSILON, 1 - EPSILON)
        self.dinputs = -(y_true / p + (1 - y_true) / (1 - p)) / outputs  # BUG: d log(1 - p)/dp = -1/(1 - p)
        self.dinputs = self.dinputs / samples


@register("binary_crossentropy", bug="missing-batch-mean", note="dp divided by the outputs, not by the samples")
def binary_cross_entropy_no_sample_mean(p, y):
    q = np.clip(p, EPSILON, 1 - EPSILON)
    loss = -np.mean(y * np.log(q) + (1 - y) * np.log(1 - q))
    dp = ((1 - y) / (1 - q) - y / q) / p.shape[1]  # BUG: the mean over every output needs / p.size
    return loss, dp


@register("mae_loss", bug="sign-flip", note="sign(y_true - dvalues): the derivative of |y - p| in p is sign(p - y)")
class MeanAbsoluteErrorTargetFirst(SampleLoss):
    def forward(self, y_pred, y_true):
        return np.mean(np.abs(y_true - y_pred), axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = dvalues.shape
        self.dinputs = np.sign(y_true - dvalues) / outputs  # BUG: the order of the difference
        self.dinputs = self.dinputs / samples


@register("softmax_crossentropy_combined", bug="missing-batch-mean", note="dinputs not divided by the samples")
class SoftmaxCategoricalCrossentropyNoSampleMean:
    def forward(self, inputs, y_true):
        e = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = e / np.sum(e, axis=1, keepdims=True)
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
        return np.mean(-np.log(self.output[np.arange(len(inputs)), labels]))

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if y_true.ndim == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] -= 1
        self.dinputs = self.dinputs  # BUG: the mean loss needs / samples


@register("softmax_crossentropy_combined", bug="sign-flip", note="one added at the true class where it is taken")
class SoftmaxCategoricalCrossentropyAddsOne:
    def forward(self, inputs, y_true):
        e = np.exp(inputs - np.max(inputs, axis=1, keepdims=True))
        self.output = e / np.sum(e, axis=1, keepdims=True)
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 else y_true
        return np.mean(-np.log(self.output[np.arange(len(inputs)), labels]))

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        if y_true.ndim == 2:
            y_true = np.argmax(y_true, axis=1)
        self.dinputs = dvalues.copy()
        self.dinputs[range(samples), y_true] += 1  # BUG: the true class's probability minus one
        self.dinputs = self.dinputs / samples
