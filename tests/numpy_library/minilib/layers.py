"""Layers in the style of ML-From-Scratch (written for gradlab's tests): sized by set_input_shape, given an
optimizer by initialize, run by forward_pass / backward_pass, the weights updated inside backward_pass."""

import copy

import numpy as np

from minilib.activations import ACTIVATIONS


class Layer:
    def set_input_shape(self, shape):
        self.input_shape = shape

    def parameters(self):
        return 0


class Dense(Layer):
    def __init__(self, n_units, input_shape=None):
        self.n_units = n_units
        self.input_shape = input_shape

    def initialize(self, optimizer):
        rng = np.random.default_rng(0)
        self.W = rng.uniform(-1, 1, (self.input_shape[0], self.n_units))
        self.w0 = np.zeros((1, self.n_units))
        self.W_opt, self.w0_opt = copy.copy(optimizer), copy.copy(optimizer)

    def parameters(self):
        return self.W.size + self.w0.size

    def forward_pass(self, X, training=True):
        self.layer_input = X
        return X @ self.W + self.w0

    def backward_pass(self, accum_grad):
        W = self.W
        grad_w = self.layer_input.T @ accum_grad
        grad_w0 = accum_grad.sum(axis=0, keepdims=True)
        self.W = self.W_opt.update(self.W, grad_w)
        self.w0 = self.w0_opt.update(self.w0, grad_w0)
        return accum_grad @ W.T


class BatchNormalization(Layer):
    def __init__(self, momentum=0.99):
        self.momentum = momentum
        self.eps = 0.01

    def initialize(self, optimizer):
        self.gamma = np.ones(self.input_shape)
        self.beta = np.zeros(self.input_shape)
        self.gamma_opt, self.beta_opt = copy.copy(optimizer), copy.copy(optimizer)

    def forward_pass(self, X, training=True):
        mean, var = X.mean(axis=0), X.var(axis=0)
        self.X_centered = X - mean
        self.stddev_inv = 1 / np.sqrt(var + self.eps)
        return self.gamma * self.X_centered * self.stddev_inv + self.beta

    def backward_pass(self, accum_grad):
        gamma = self.gamma
        X_norm = self.X_centered * self.stddev_inv
        self.gamma = self.gamma_opt.update(self.gamma, (accum_grad * X_norm).sum(axis=0))
        self.beta = self.beta_opt.update(self.beta, accum_grad.sum(axis=0))
        n = accum_grad.shape[0]
        return gamma * self.stddev_inv / n * (n * accum_grad - accum_grad.sum(axis=0)
                                              - X_norm * (accum_grad * X_norm).sum(axis=0))


class Activation(Layer):
    def __init__(self, name):
        self.activation = ACTIVATIONS[name]()

    def forward_pass(self, X, training=True):
        self.layer_input = X
        return self.activation(X)

    def backward_pass(self, accum_grad):
        return accum_grad * self.activation.gradient(self.layer_input)


class Dropout(Layer):
    def __init__(self, p=0.2):
        self.p = p

    def forward_pass(self, X, training=True):
        if not training:
            return X * (1 - self.p)
        self.mask = np.random.uniform(size=X.shape) > self.p
        return X * self.mask

    def backward_pass(self, accum_grad):
        return accum_grad * self.mask
