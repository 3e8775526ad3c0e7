"""The same detection-head losses, each with one slip."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def focal_loss(logits, targets, gamma=2.0):
    prob = sigmoid(logits)
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = np.mean(-((1 - p_t) ** gamma) * np.log(p_t))
    sgn = 2 * targets - 1
    dp_t = sgn * p_t * (1 - p_t)
    grad = (-(1 - p_t) ** gamma / p_t) * dp_t
    return loss, grad / logits.size


class FocalLoss:
    def __init__(self, gamma=1.0):
        self.gamma = gamma

    def forward(self, z, y):
        self.p = sigmoid(z)
        self.y = y
        self.pt = np.where(y > 0.5, self.p, 1.0 - self.p)
        return np.sum(-((1.0 - self.pt) ** self.gamma) * np.log(self.pt)) / z.shape[0]

    def backward(self, grad=1.0):
        g, pt = self.gamma, self.pt
        d_pt = g * (1.0 - pt) ** (g - 1.0) * np.log(pt) - (1.0 - pt) ** g / pt
        return grad * d_pt * pt * (1.0 - pt) / self.p.shape[0]
