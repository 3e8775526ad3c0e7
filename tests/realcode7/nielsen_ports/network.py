"""A learner's port of Nielsen's network with its methods renamed (feed_forward, backpropagate)."""
import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class NeuralNet:
    def __init__(self, sizes):
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, m) for m, n in zip(sizes[:-1], sizes[1:])]

    def feed_forward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def backpropagate(self, x, y):
        activations, a = [x], x
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
            activations.append(a)
        nabla_b = [None] * len(self.biases)
        nabla_w = [None] * len(self.weights)
        delta = (activations[-1] - y) * activations[-1] * (1 - activations[-1])
        for layer in range(len(self.weights) - 1, -1, -1):
            nabla_b[layer] = delta
            nabla_w[layer] = delta @ activations[layer].T
            if layer:
                a = activations[layer]
                delta = (self.weights[layer].T @ delta) * a * (1 - a)
        return nabla_b, nabla_w
