"""Layers in the style of numpy-ml (written for gradlab's tests): sized at their first forward, parameters
and gradients in dicts, gradients accumulated with +=, inputs kept in a list until flush_gradients."""

import numpy as np


class ReLU:
    def __call__(self, z):
        return self.fn(z)

    def fn(self, z):
        return np.clip(z, 0, np.inf)

    def grad(self, x):
        return (x > 0).astype(int)


class FullyConnected:
    def __init__(self, n_out, optimizer=None):
        self.n_out = n_out
        self.X = []
        self.parameters = {"W": None, "b": None}
        self.gradients = {}
        self.is_initialized = False

    def _init_params(self):
        self.parameters = {"W": np.random.randn(self.n_in, self.n_out), "b": np.zeros((1, self.n_out))}
        self.gradients = {"W": np.zeros((self.n_in, self.n_out)), "b": np.zeros((1, self.n_out))}
        self.is_initialized = True

    def flush_gradients(self):
        self.X = []
        for k, v in self.gradients.items():
            self.gradients[k] = np.zeros_like(v)

    def forward(self, X, retain_derived=True):
        if not self.is_initialized:
            self.n_in = X.shape[1]
            self._init_params()
        if retain_derived:
            self.X.append(X)
        return X @ self.parameters["W"] + self.parameters["b"]

    def backward(self, dLdy, retain_grads=True):
        X = self.X[0]
        dX = dLdy @ self.parameters["W"].T
        if retain_grads:
            self.gradients["W"] += X.T @ dLdy
            self.gradients["b"] += dLdy.sum(axis=0, keepdims=True)
        return dX


class BatchNorm1D:
    def __init__(self, epsilon=1e-5, optimizer=None):
        self.epsilon = epsilon
        self.X = []
        self.parameters = {"scaler": None, "intercept": None}
        self.gradients = {}
        self.is_initialized = False

    def flush_gradients(self):
        self.X = []
        for k, v in self.gradients.items():
            self.gradients[k] = np.zeros_like(v)

    def forward(self, X, retain_derived=True):
        if not self.is_initialized:
            n_in = X.shape[1]
            self.parameters = {"scaler": np.random.rand(n_in), "intercept": np.zeros(n_in)}
            self.gradients = {"scaler": np.zeros(n_in), "intercept": np.zeros(n_in)}
            self.is_initialized = True
        if retain_derived:
            self.X.append(X)
        X_hat = (X - X.mean(axis=0)) / np.sqrt(X.var(axis=0) + self.epsilon)
        return self.parameters["scaler"] * X_hat + self.parameters["intercept"]

    def backward(self, dLdy, retain_grads=True):
        X = self.X[0]
        n = X.shape[0]
        inv_std = 1 / np.sqrt(X.var(axis=0) + self.epsilon)
        X_hat = (X - X.mean(axis=0)) * inv_std
        if retain_grads:
            self.gradients["scaler"] += (dLdy * X_hat).sum(axis=0)
            self.gradients["intercept"] += dLdy.sum(axis=0)
        dX_hat = dLdy * self.parameters["scaler"]
        return inv_std / n * (n * dX_hat - dX_hat.sum(axis=0) - X_hat * (dX_hat * X_hat).sum(axis=0))


class Dropout:
    """A wrapper around another layer, as numpy-ml's: gradlab has no layer to give it."""

    def __init__(self, wrapped_layer, p):
        self.wrapped, self.p = wrapped_layer, p
        self._init_params()

    def _init_params(self):
        self.mask = None

    def forward(self, X, retain_derived=True):
        self.mask = (np.random.rand(*X.shape) >= self.p) / (1 - self.p)
        return self.wrapped.forward(X * self.mask, retain_derived)

    def backward(self, dLdy, retain_grads=True):
        return self.wrapped.backward(dLdy, retain_grads) * self.mask
