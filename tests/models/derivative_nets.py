"""Textbook-style models (net.params, net.loss(x, t), net.gradient(x, t)) with a sigmoid hidden layer and a
tanh hidden layer, written for gradlab's tests: correct ones, and ones whose activation derivative is given
the other array. Each class docstring says its bug."""

import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def sigmoid_prime(x):
    """The derivative at the pre-activation x."""
    s = sigmoid(x)
    return s * (1.0 - s)


def dtanh(y):
    """The derivative of tanh given its output y = tanh(x)."""
    return 1.0 - y ** 2


def _softmax(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SigmoidNet:
    """affine - sigmoid - affine - softmax with cross-entropy (mean over the batch): correct."""

    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.1):
        rng = np.random.default_rng(5)
        # W1 ten times the scale: pre-activations of order 1, where tanh(a) is not a and the derivatives differ
        self.params = {"W1": 10 * weight_init_std * rng.normal(size=(input_size, hidden_size)),
                       "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * rng.normal(size=(hidden_size, output_size)),
                       "b2": np.zeros(output_size)}

    def activation(self, a):
        return sigmoid(a)

    def predict(self, x):
        p = self.params
        return self.activation(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]

    def loss(self, x, t):
        y = _softmax(self.predict(x))
        return -np.sum(t * np.log(y)) / x.shape[0]

    def gradient(self, x, t):
        p = self.params
        a = x @ p["W1"] + p["b1"]
        h = self.activation(a)
        dy = (_softmax(h @ p["W2"] + p["b2"]) - t) / x.shape[0]
        grads = {"W2": h.T @ dy, "b2": dy.sum(axis=0)}
        da = (dy @ p["W2"].T) * self.derivative(a, h)
        grads["W1"], grads["b1"] = x.T @ da, da.sum(axis=0)
        return grads

    def derivative(self, a, h):
        return sigmoid_prime(a)


class SigmoidNetPrimeOfOutput(SigmoidNet):
    """sigmoid_prime(h) where sigmoid_prime(a) belongs: W1 and b1 wrong (wrong-input)."""

    def derivative(self, a, h):
        return sigmoid_prime(h)


class SigmoidNetPrimeSquared(SigmoidNet):
    """sigmoid_prime(a) ** 2: W1 and b1 wrong, but not by the argument: the hypothesis must not name it."""

    def derivative(self, a, h):
        return sigmoid_prime(a) ** 2


class TanhNet(SigmoidNet):
    """affine - tanh - affine - softmax, its derivative taken from the output (dtanh(h)): correct."""

    def activation(self, a):
        return np.tanh(a)

    def derivative(self, a, h):
        return dtanh(h)


class TanhNetDerivativeOfInput(TanhNet):
    """dtanh(a), the pre-activation given to a derivative written for the output: W1 and b1 wrong (wrong-input)."""

    def derivative(self, a, h):
        return dtanh(a)
