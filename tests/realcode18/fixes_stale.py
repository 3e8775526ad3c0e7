"""A learner's ML-From-Scratch-style dense layer, its optimizer stepping the weights inside backward_pass, the weights
kept in a local first for the input's gradient. Correct; the fix tests write one slip into a copy (the input's gradient
taken with the weights after the step, the kept local left unread)."""
import copy

import numpy as np


class SGD:
    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate

    def update(self, w, grad_wrt_w):
        return w - self.learning_rate * grad_wrt_w


class Dense:
    def __init__(self, n_units, input_shape=None):
        self.n_units = n_units
        self.input_shape = input_shape
        self.trainable = True

    def initialize(self, optimizer):
        rng = np.random.default_rng(0)
        self.W = rng.normal(0.0, 0.1, (self.input_shape[0], self.n_units))
        self.w0 = np.zeros((1, self.n_units))
        self.W_opt = copy.copy(optimizer)
        self.w0_opt = copy.copy(optimizer)

    def forward_pass(self, X, training=True):
        self.layer_input = X
        return X @ self.W + self.w0

    def backward_pass(self, accum_grad):
        W_before = self.W
        if self.trainable:
            grad_w = self.layer_input.T @ accum_grad
            grad_w0 = accum_grad.sum(axis=0, keepdims=True)
            self.W = self.W_opt.update(self.W, grad_w)
            self.w0 = self.w0_opt.update(self.w0, grad_w0)
        return accum_grad @ W_before.T
