"""A learner's losses: functions returning the loss averaged over every element and its gradient (a Huber loss run at
a threshold of its own, delta=2.0 where the usual one is 1, and a binary cross-entropy on probabilities), the
textbook's SoftmaxWithLoss taking one-hot labels or class indices, and CS231n's naive SVM loss. Correct; the fix tests
write one slip into a copy (the mean's 1/size left out of a gradient, a Huber slope without its delta, the softmax
loss's gradient left undivided by the batch on both paths, the SVM's dW never divided by the samples, or
never given the correct class's -X[i])."""
import numpy as np


def huber_loss(pred, target, delta=2.0):
    r = pred - target
    inside = np.abs(r) <= delta
    loss = np.mean(np.where(inside, 0.5 * r * r, delta * np.abs(r) - 0.5 * delta * delta))
    grad = np.where(inside, r, delta * np.sign(r))
    grad = grad / pred.size
    return loss, grad


def binary_cross_entropy(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    dp = (p - y) / (p * (1 - p)) / p.size
    return loss, dp


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cross_entropy(p, t):
    rows = p.shape[0]
    if t.size == p.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(p[np.arange(rows), t] + 1e-7)) / rows


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = _softmax(x)
        return _cross_entropy(self.y, t)

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        if self.t.size == self.y.size:
            dx = self.y - self.t
        else:
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
        dx = dx / batch_size
        return dx * dout


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i] @ W
        for j in range(W.shape[1]):
            margin = scores[j] - scores[y[i]] + 1
            if j != y[i] and margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW
