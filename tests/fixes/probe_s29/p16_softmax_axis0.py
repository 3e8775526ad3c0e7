import numpy as np


class Softmax:
    def forward(self, logits):
        shifted = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        self.probs = e / e.sum(axis=1, keepdims=True)
        return self.probs

    def backward(self, grad_out):
        inner = (grad_out * self.probs).sum(axis=0, keepdims=True)
        return self.probs * (grad_out - inner)
