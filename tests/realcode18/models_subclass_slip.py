"""A correct sigmoid network and a learner's subclass whose own backprop slips twice the same way: it hands
sigmoid_prime each layer's activation where the book hands it z. Rewriting the shared sigmoid_prime as a * (1 - a)
would make the subclass pass with one edit, and the base, which calls it with z, fail."""

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
            delta = (self.weights[-l + 1].T @ delta) * sigmoid_prime(zs[-l])
            nabla_b[-l] = delta
            nabla_w[-l] = delta @ acts[-l - 1].T
        return nabla_b, nabla_w

    def cost_derivative(self, output_activations, y):
        return output_activations - y


class CompactNetwork(Network):
    def backprop(self, x, y):
        acts, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(w @ acts[-1] + b)
            acts.append(sigmoid(zs[-1]))
        nabla_b, nabla_w = [], []
        delta = self.cost_derivative(acts[-1], y) * sigmoid_prime(acts[-1])
        for l in range(1, self.num_layers):
            nabla_b.insert(0, delta)
            nabla_w.insert(0, delta @ acts[-l - 1].T)
            if l + 1 < self.num_layers:
                delta = (self.weights[-l].T @ delta) * sigmoid_prime(acts[-l - 1])
        return nabla_b, nabla_w
