"""A softmax loss for rows (N, C) with integer labels whose softmax is taken over the batch axis by mistake."""
import numpy as np


def softmax_loss(x, y):
    N = x.shape[0]
    e = np.exp(x - x.max(axis=0, keepdims=True))
    p = e / e.sum(axis=0, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).sum() / N
    dx = p.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N
