"""Nielsen-style networks (samples as columns, `weights`/`biases` lists, `backprop(x, y) -> (nabla_b, nabla_w)`),
written for gradlab's tests: a correct Network (quadratic cost), a Network2 with a cost object, and variants
with one bug each (see each docstring)."""

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_prime(z):
    return sigmoid(z) * (1 - sigmoid(z))


class Network:
    def __init__(self, sizes):
        self.num_layers = len(sizes)
        self.sizes = sizes
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, m) for m, n in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            z = w @ activation + b
            zs.append(z)
            activation = sigmoid(z)
            activations.append(activation)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = delta @ activations[-2].T
        for layer in range(2, self.num_layers):
            delta = self.hidden_delta(delta, layer, zs)
            nabla_b[-layer] = delta
            nabla_w[-layer] = delta @ self.below(activations, layer).T
        return nabla_b, nabla_w

    def hidden_delta(self, delta, layer, zs):
        return (self.weights[-layer + 1].T @ delta) * sigmoid_prime(zs[-layer])

    def below(self, activations, layer):
        return activations[-layer - 1]

    def cost_derivative(self, output_activations, y):
        return output_activations - y


class NetworkForgetsSigmoidPrime(Network):
    """The hidden delta is not multiplied by sigmoid'(z): weights[0] and biases[0] wrong (the layers above
    right); origin weights[0]."""

    def hidden_delta(self, delta, layer, zs):
        return self.weights[-layer + 1].T @ delta


class NetworkActivationOfTheSameLayer(Network):
    """nabla_w of a hidden layer takes that layer's own activations instead of the layer below's: a shape
    error (wrong-shape family) at weights[0]; origin weights[0]."""

    def below(self, activations, layer):
        return activations[-layer]


class NetworkCostDerivativeSign(Network):
    """cost_derivative returns y - a: every gradient has the wrong sign; origin the last layer's weights."""

    def cost_derivative(self, output_activations, y):
        return y - output_activations


class CrossEntropyCost:
    @staticmethod
    def fn(a, y):
        return np.sum(np.nan_to_num(-y * np.log(a) - (1 - y) * np.log(1 - a)))

    @staticmethod
    def delta(z, a, y):
        return a - y


class CrossEntropyCostWithSigmoidPrime(CrossEntropyCost):
    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)


class Network2:
    """The cost is an object: `cost.fn(a, y)` is the loss, `cost.delta(z, a, y)` the output error."""

    def __init__(self, sizes, cost=CrossEntropyCost):
        self.num_layers, self.sizes, self.cost = len(sizes), sizes, cost
        self.biases = [np.random.randn(n, 1) for n in sizes[1:]]
        self.weights = [np.random.randn(n, m) / np.sqrt(m) for m, n in zip(sizes[:-1], sizes[1:])]

    def feedforward(self, a):
        for b, w in zip(self.biases, self.weights):
            a = sigmoid(w @ a + b)
        return a

    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activation, activations, zs = x, [x], []
        for b, w in zip(self.biases, self.weights):
            zs.append(w @ activation + b)
            activation = sigmoid(zs[-1])
            activations.append(activation)
        delta = self.cost.delta(zs[-1], activations[-1], y)
        nabla_b[-1], nabla_w[-1] = delta, delta @ activations[-2].T
        for layer in range(2, self.num_layers):
            delta = (self.weights[-layer + 1].T @ delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer], nabla_w[-layer] = delta, delta @ activations[-layer - 1].T
        return nabla_b, nabla_w


class Network2QuadraticDeltaForCrossEntropy(Network2):
    """The cross-entropy delta keeps the quadratic cost's sigmoid'(z): every gradient wrong; origin the last
    layer's weights, where the delta is computed."""

    def __init__(self, sizes):
        super().__init__(sizes, cost=CrossEntropyCostWithSigmoidPrime)
