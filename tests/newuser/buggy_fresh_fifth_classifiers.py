# A fifth held-out set, part two: linear classifiers as in CS231n's assignment 1,
# `*_loss_naive/_vectorized(W, X, y, reg) -> (loss, dW)` with X (N, D) and W (D, C), one mistake each.
# Written for gradlab's new-user tests; labels chosen from DESIGN.md's vocabulary before any run.
import numpy as np


def svm_loss_naive(W, X, y, reg):
    # BUG: sign-flip  (each violated margin adds X[i] to the correct class and takes it from class j)
    dW = np.zeros(W.shape)
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1.0
            if margin > 0:
                loss += margin
                dW[:, y[i]] += X[i]
                dW[:, j] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    # BUG: missing-batch-mean  (the data loss is a mean over N, its gradient X.T @ coeff is not divided by N)
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W
    margins = np.maximum(0.0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0.0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(float)
    coeff[rows, y] = -coeff.sum(axis=1)
    dW = X.T @ coeff + 2 * reg * W
    return loss, dW


def softmax_loss_naive(W, X, y, reg):
    # BUG: dropped-term  (the penalty reg * sum(W**2) is in the loss, its gradient 2 * reg * W is never added)
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    for i in range(num_train):
        f = X[i] @ W
        f = f - np.max(f)
        p = np.exp(f) / np.sum(np.exp(f))
        loss -= np.log(p[y[i]])
        for k in range(W.shape[1]):
            dW[:, k] += (p[k] - (k == y[i])) * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    # BUG: extra-batch-mean  (dscores already divided by N, then X.T @ dscores divided by N again)
    n = X.shape[0]
    f = X.dot(W)
    f -= f.max(axis=1, keepdims=True)
    p = np.exp(f)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).sum() / n + reg * (W ** 2).sum()
    dscores = p.copy()
    dscores[np.arange(n), y] -= 1
    dscores /= n
    dW = X.T.dot(dscores) / n + 2 * reg * W
    return loss, dW
