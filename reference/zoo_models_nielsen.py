"""Buggy Nielsen-style networks (`weights` / `biases` lists, `backprop(x, y) -> (nabla_b, nabla_w)`): one
learner's mistake each, in `backprop` (rewritten whole, the bug marked `# BUG`) or in the cost.
"""

import numpy as np
from gradlab.reference.models import CrossEntropyCost, Network, Network2, sigmoid, sigmoid_prime

from gradlab.models.zoo import register_model


def _forward(net, x):
    activation, activations, zs = x, [x], []
    for b, w in zip(net.biases, net.weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = sigmoid(z)
        activations.append(activation)
    return activations, zs


@register_model(bug="dropped-term", wrong={"weights[0]", "biases[0]"},
                note="the hidden layer's delta is not multiplied by sigmoid'(z)")
class NetworkHiddenDeltaWithoutSigmoidPrime(Network):
    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activations, zs = _forward(self, x)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-2].transpose())
        for layer in range(2, self.num_layers):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta)  # BUG: * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w


@register_model(bug="transposed", wrong={"weights[1]", "weights[0]"}, note="nabla_w = a_below · deltaᵀ")
class NetworkTransposedNablaW(Network):
    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activations, zs = _forward(self, x)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(activations[-2], delta.transpose())  # BUG: delta · aᵀ, (out, in) as the weights are
        for layer in range(2, self.num_layers):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(activations[-layer - 1], delta.transpose())  # BUG: the same
        return nabla_b, nabla_w


@register_model(bug="wrong-shape", wrong={"weights[1]"},
                note="the output layer's nabla_w takes that layer's own activation instead of the layer below's")
class NetworkOwnLayerActivation(Network):
    def backprop(self, x, y):
        nabla_b = [np.zeros(b.shape) for b in self.biases]
        nabla_w = [np.zeros(w.shape) for w in self.weights]
        activations, zs = _forward(self, x)
        delta = self.cost_derivative(activations[-1], y) * sigmoid_prime(zs[-1])
        nabla_b[-1] = delta
        nabla_w[-1] = np.dot(delta, activations[-1].transpose())  # BUG: activations[-2], the layer below
        for layer in range(2, self.num_layers):
            delta = np.dot(self.weights[-layer + 1].transpose(), delta) * sigmoid_prime(zs[-layer])
            nabla_b[-layer] = delta
            nabla_w[-layer] = np.dot(delta, activations[-layer - 1].transpose())
        return nabla_b, nabla_w


@register_model(bug="sign-flip", wrong={"weights[1]", "biases[1]", "weights[0]", "biases[0]"},
                note="cost_derivative returns y - a")
class NetworkCostDerivativeFlipped(Network):
    def cost_derivative(self, output_activations, y):
        return y - output_activations  # BUG: the derivative of 0.5 (a - y)**2 is a - y


class CrossEntropyCostWithSigmoidPrime(CrossEntropyCost):
    @staticmethod
    def delta(z, a, y):
        return (a - y) * sigmoid_prime(z)  # BUG: the quadratic cost's delta; sigmoid'(z) cancels for cross-entropy


@register_model(bug="mismatch", wrong={"weights[1]", "biases[1]", "weights[0]", "biases[0]"},
                note="the cross-entropy cost's delta keeps the quadratic cost's sigmoid'(z)")
class Network2CrossEntropyDeltaWithSigmoidPrime(Network2):
    def __init__(self, sizes):
        super().__init__(sizes, cost=CrossEntropyCostWithSigmoidPrime)
