"""A per-sample column network that is handed its cost object: Net(layers, cost), the cost an instance."""

import numpy as np

from losses.base import Cost


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Net:
    def __init__(self, layers: list, cost: Cost) -> None:
        self.layers, self.cost = layers, cost
        self.biases = [np.random.randn(n, 1) for n in layers[1:]]
        self.weights = [np.random.randn(m, n) / np.sqrt(n) for n, m in zip(layers[:-1], layers[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = _sigmoid(w @ a + b)
        return a

    def backpropagate(self, x, y):
        acts, zs = [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ acts[-1] + b)
            acts.append(_sigmoid(zs[-1]))
        grad_b, grad_w = [None] * len(self.biases), [None] * len(self.weights)
        delta = self.output_error(acts[-1], y, zs[-1])
        grad_b[-1], grad_w[-1] = delta, delta @ acts[-2].T
        for i in range(len(self.weights) - 2, -1, -1):
            s = _sigmoid(zs[i])
            delta = (self.weights[i + 1].T @ delta) * s * (1 - s)
            grad_b[i], grad_w[i] = delta, delta @ acts[i].T
        return grad_b, grad_w

    def output_error(self, a, y, z):
        return self.cost.delta(a, y, z)


class NetOutputErrorSquaredOnly(Net):
    """Always the squared error's output error, whatever cost it is given: wrong with the log loss only."""

    def output_error(self, a, y, z):
        s = _sigmoid(z)
        return (a - y) * s * (1 - s)
