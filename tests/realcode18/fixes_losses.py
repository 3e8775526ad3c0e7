"""A learner's loss functions, each returning the loss averaged over every element and its gradient: a Huber loss run
at a threshold of its own (delta=2.0, where the usual one is 1) and a binary cross-entropy on probabilities. Correct;
the fix tests write one slip into a copy (the mean's 1/size left out of a gradient, a Huber slope without its
delta)."""
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
