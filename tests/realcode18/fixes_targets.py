"""A learner's label-smoothing cross-entropy as a class: forward builds the smoothed targets in a local and keeps them
for backward under the same name. Correct; the fix tests write one slip into a copy (the hard one-hot kept instead of
the smoothed targets forward used)."""
import numpy as np


class LabelSmoothingCrossEntropy:
    def __init__(self, smoothing=0.1):
        self.smoothing = smoothing

    def forward(self, x, t):
        N, C = x.shape
        z = x - x.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        target = np.full((N, C), self.smoothing / C)
        target[np.arange(N), t] += 1.0 - self.smoothing
        self.prob = np.exp(logp)
        self.target = target
        return -(target * logp).sum() / N

    def backward(self, dout=1.0):
        return dout * (self.prob - self.target) / self.prob.shape[0]
