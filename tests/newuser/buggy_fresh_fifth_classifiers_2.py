# A fifth held-out set, part three: two more linear classifiers in CS231n's assignment-1 signature
# `(W, X, y, reg) -> (loss, dW)`, one mistake each (gradlab's new-user tests; labels chosen before any run).
import numpy as np


def svm_loss_vectorized(W, X, y, reg):
    # BUG: dropped-term  (reg * sum(W * W) is in the loss, 2 * reg * W never reaches dW)
    N = len(y)
    S = X.dot(W)
    correct = S[range(N), y].reshape(-1, 1)
    M = S - correct + 1
    M[range(N), y] = 0
    M = np.maximum(M, 0)
    loss = np.sum(M) / N + reg * np.sum(W * W)
    G = np.zeros_like(S)
    G[M > 0] = 1
    G[range(N), y] -= G.sum(axis=1)
    dW = X.T.dot(G) / N
    return loss, dW


def softmax_loss_naive(W, X, y, reg):
    # BUG: scaled  (penalty written as 0.5 * reg * sum(W**2) in the loss, differentiated as 2 * reg * W)
    N, C = X.shape[0], W.shape[1]
    loss, dW = 0.0, np.zeros_like(W)
    for i in range(N):
        s = X[i].dot(W)
        s -= s.max()
        e = np.exp(s)
        total = e.sum()
        loss += np.log(total) - s[y[i]]
        for c in range(C):
            dW[:, c] += X[i] * (e[c] / total - (1.0 if c == y[i] else 0.0))
    loss = loss / N + 0.5 * reg * np.sum(W * W)
    dW = dW / N + 2 * reg * W
    return loss, dW
