"""A learner's focal loss over classes (softmax rows, class labels), under the same names as a binary one."""
import numpy as np


def focal_loss(scores, y, gamma=2.0):
    n = scores.shape[0]
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    onehot = np.zeros_like(p)
    onehot[np.arange(n), y] = 1.0
    pt = p[np.arange(n), y][:, None]
    loss = np.sum(-((1 - pt) ** gamma) * np.log(pt)) / n
    dpt = pt * (onehot - p)
    dscores = (gamma * (1 - pt) ** (gamma - 1) * np.log(pt) - (1 - pt) ** gamma / pt) * dpt
    return loss, dscores / n


class FocalLoss:
    def __init__(self, gamma=2.0):
        self.gamma = gamma

    def forward(self, scores, labels):
        n, c = scores.shape
        self.onehot = labels if labels.ndim == 2 else np.eye(c)[labels]
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        self.p = e / e.sum(axis=1, keepdims=True)
        self.pt = np.sum(self.p * self.onehot, axis=1, keepdims=True)
        return float(np.mean(-((1 - self.pt) ** self.gamma) * np.log(self.pt)))

    def backward(self, dout=1.0):
        g, pt = self.gamma, self.pt
        dpt = pt * (self.onehot - self.p)
        return dout * (g * (1 - pt) ** (g - 1) * np.log(pt) - (1 - pt) ** g / pt) * dpt / len(pt)
