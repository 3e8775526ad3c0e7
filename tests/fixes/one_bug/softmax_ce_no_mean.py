"""Softmax cross-entropy averaged over the batch; one bug: the gradient forgets the 1/N."""
import numpy as np


class SoftmaxCrossEntropy:
    def forward(self, logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)
        exps = np.exp(shifted)
        self.probs = exps / exps.sum(axis=1, keepdims=True)
        self.labels = labels
        batch = logits.shape[0]
        return -np.log(self.probs[np.arange(batch), labels] + 1e-12).sum() / batch

    def backward(self, dout=1.0):
        grad = self.probs.copy()
        grad[np.arange(grad.shape[0]), self.labels] -= 1
        return grad * dout
