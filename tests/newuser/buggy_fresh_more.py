# More one-bug layers in learners' own styles (a gradient dict, per-sample loops, a time axis), one
# mistake each; written for gradlab's new-user tests, not taken from any course.
import numpy as np


class ELU:
    # BUG: wrong-input  (alpha * exp(.) taken of the cached output where it belongs to the input)
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        self.out = np.where(x > 0, x, self.alpha * (np.exp(x) - 1.0))
        return self.out

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, self.alpha * np.exp(self.out))


class Embedding:
    # BUG: dropped-term  (dW[idx] = dout: a word seen twice in the batch keeps only its last gradient)
    def __init__(self, W):
        self.params = [W]
        self.grads = [np.zeros_like(W)]

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def backward(self, dout):
        dW = self.grads[0]
        dW[...] = 0.0
        dW[self.idx] = dout


class SigmoidWithLoss:
    # BUG: missing-batch-mean  (mean cross-entropy in forward, (y - t) without / N in backward)
    def forward(self, x, t):
        self.t = t
        self.y = 1.0 / (1.0 + np.exp(-x))
        eps = 1e-12
        return -np.mean(t * np.log(self.y + eps) + (1 - t) * np.log(1 - self.y + eps))

    def backward(self, dout=1):
        return (self.y - self.t) * dout


def temporal_affine_forward(x, w, b):
    N, T, D = x.shape
    out = x.reshape(N * T, D) @ w + b
    return out.reshape(N, T, -1), (x, w, b)


def temporal_affine_backward(dout, cache):
    # BUG: wrong-reduction  (db summed over the batch axis only: shape (T, M) where b is (M,))
    x, w, b = cache
    N, T, D = x.shape
    M = w.shape[1]
    flat = dout.reshape(N * T, M)
    dx = (flat @ w.T).reshape(N, T, D)
    dw = x.reshape(N * T, D).T @ flat
    db = dout.sum(axis=0)
    return dx, dw, db


def svm_loss(x, y):
    # BUG: dropped-term  (each violated margin's -1 on the correct class left out)
    N = x.shape[0]
    loss = 0.0
    dx = np.zeros_like(x)
    for i in range(N):
        correct = x[i, y[i]]
        for j in range(x.shape[1]):
            if j == y[i]:
                continue
            margin = x[i, j] - correct + 1.0
            if margin > 0:
                loss += margin
                dx[i, j] += 1.0
    return loss / N, dx / N
