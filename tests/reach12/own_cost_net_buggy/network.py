import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Network:
    """Per-sample columns, weights and biases lists; its cost is declared by its own method, not a cost object."""

    def __init__(self, sizes):
        self.sizes = sizes
        self.weights = [np.random.randn(n, m) for m, n in zip(sizes[:-1], sizes[1:])]
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]

    def feedforward(self, a):
        for w, b in zip(self.weights, self.biases):
            a = sigmoid(w @ a + b)
        return a

    def loss_function(self, y_true, y_pred, derivative=False):
        # the log-likelihood of the labels, and the output delta of its cost for a sigmoid output
        if derivative:
            return y_pred - y_true
        return np.sum(y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred))

    def backprop(self, x, y):
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        activations, zs = [x], []
        for w, b in zip(self.weights, self.biases):
            zs.append(w @ activations[-1] + b)
            activations.append(sigmoid(zs[-1]))
        out = activations[-1]
        delta = self.loss_function(y, out, derivative=True) * out * (1 - out)  # a quadratic cost's delta
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
        for layer in range(2, len(self.sizes)):
            s = sigmoid(zs[-layer])
            delta = (self.weights[-layer + 1].T @ delta) * s * (1 - s)
            nabla_b[-layer], nabla_w[-layer] = delta, delta @ activations[-layer - 1].T
        return nabla_b, nabla_w
