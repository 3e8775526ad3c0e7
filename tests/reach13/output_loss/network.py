"""A network's last layer holding its loss: forward gives the probabilities, loss(y) the cross-entropy, backward()
the gradient with respect to forward's input."""
import numpy as np


class SoftmaxLayer:
    def forward(self, logits):
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        self.probs = shifted / shifted.sum(axis=1, keepdims=True)
        return self.probs

    def loss(self, y):
        self.y = y
        rows = np.arange(len(y))
        return -np.log(self.probs[rows, y]).mean()

    def backward(self):
        grad = self.probs.copy()
        grad[np.arange(len(self.y)), self.y] -= 1
        return grad / len(self.y)
