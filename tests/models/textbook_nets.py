"""Textbook-style nets (`net.params`, `net.loss(x, t)`, `net.gradient(x, t)`), written for gradlab's tests:
a correct TwoLayerNet and MultiLayerNet with weight decay, and variants with one bug each (see each docstring)."""

from collections import OrderedDict

import numpy as np
from textbook_layers import Affine, Relu, SoftmaxWithLoss


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {
            "W1": weight_init_std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
            "W2": weight_init_std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size),
        }
        self.layers = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in self.backward_layers():
            dout = layer.backward(dout)
        return self.collect()

    def backward_layers(self):
        return reversed(list(self.layers.values()))

    def collect(self):
        return {"W1": self.layers["Affine1"].dW, "b1": self.layers["Affine1"].db,
                "W2": self.layers["Affine2"].dW, "b2": self.layers["Affine2"].db}


class TwoLayerNetTransposedW1(TwoLayerNet):
    """grads['W1'] is handed back transposed: W1 is wrong (transposed); origin W1."""

    def collect(self):
        grads = super().collect()
        grads["W1"] = grads["W1"].T
        return grads


class TwoLayerNetSkipsRelu(TwoLayerNet):
    """backward goes through the Affine layers only, never through the ReLU: W1 and b1 wrong; origin W1."""

    def backward_layers(self):
        return [self.layers["Affine2"], self.layers["Affine1"]]


class TwoLayerNetUpdatesInGradient(TwoLayerNet):
    """gradient() also takes an SGD step on W2: the gradients are right, the parameters change (stale-parameters)."""

    def gradient(self, x, t):
        grads = super().gradient(x, t)
        self.params["W2"] -= 0.1 * grads["W2"]
        return grads


class MultiLayerNet:
    """affine - relu ... - affine - softmax, with weight decay 0.5 * lambda * sum(W**2) in the loss."""

    def __init__(self, input_size, hidden_size_list, output_size, weight_init_std=0.01, weight_decay_lambda=0):
        self.weight_decay_lambda = weight_decay_lambda
        self.n = len(hidden_size_list) + 1
        sizes = [input_size, *hidden_size_list, output_size]
        self.params, self.layers = {}, OrderedDict()
        for i in range(1, self.n + 1):
            self.params[f"W{i}"] = weight_init_std * np.random.randn(sizes[i - 1], sizes[i])
            self.params[f"b{i}"] = np.zeros(sizes[i])
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i < self.n:
                self.layers[f"Relu{i}"] = Relu()
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        decay = sum(0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{i}"] ** 2) for i in range(1, self.n + 1))
        return self.last_layer.forward(self.predict(x), t) + decay

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for i in range(1, self.n + 1):
            grads[f"W{i}"] = self.layers[f"Affine{i}"].dW + self.decay(i)
            grads[f"b{i}"] = self.layers[f"Affine{i}"].db
        return grads

    def decay(self, i):
        return self.weight_decay_lambda * self.layers[f"Affine{i}"].W


class MultiLayerNetDecayOnFirstOnly(MultiLayerNet):
    """Weight decay only in dW1: every W above it is wrong; origin the last W."""

    def decay(self, i):
        return self.weight_decay_lambda * self.layers[f"Affine{i}"].W if i == 1 else 0


class MultiLayerNetExtend:
    """affine - [batch norm] - relu - [dropout] ... - affine - softmax; loss(x, t, train_flg) as the book has it."""

    def __init__(self, input_size, hidden_size_list, output_size, weight_init_std=0.01, weight_decay_lambda=0,
                 use_dropout=False, dropout_ration=0.5, use_batchnorm=False):
        from textbook_layers import BatchNormalization, Dropout

        self.weight_decay_lambda, self.n = weight_decay_lambda, len(hidden_size_list) + 1
        self.use_batchnorm = use_batchnorm
        sizes = [input_size, *hidden_size_list, output_size]
        self.params, self.layers = {}, OrderedDict()
        for i in range(1, self.n + 1):
            self.params[f"W{i}"] = weight_init_std * np.random.randn(sizes[i - 1], sizes[i])
            self.params[f"b{i}"] = np.zeros(sizes[i])
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i == self.n:
                break
            if use_batchnorm:
                self.params[f"gamma{i}"], self.params[f"beta{i}"] = np.ones(sizes[i]), np.zeros(sizes[i])
                self.layers[f"BatchNorm{i}"] = BatchNormalization(self.params[f"gamma{i}"], self.params[f"beta{i}"])
            self.layers[f"Relu{i}"] = Relu()
            if use_dropout:
                self.layers[f"Dropout{i}"] = Dropout(dropout_ration)
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        for name, layer in self.layers.items():
            x = layer.forward(x, train_flg) if name.startswith(("BatchNorm", "Dropout")) else layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        decay = sum(0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{i}"] ** 2) for i in range(1, self.n + 1))
        return self.last_layer.forward(self.predict(x, train_flg), t) + decay

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)
        dout = self.last_layer.backward(1)
        for layer in reversed(list(self.layers.values())):
            dout = layer.backward(dout)
        grads = {}
        for i in range(1, self.n + 1):
            grads[f"W{i}"] = self.layers[f"Affine{i}"].dW + self.weight_decay_lambda * self.params[f"W{i}"]
            grads[f"b{i}"] = self.layers[f"Affine{i}"].db
            if self.use_batchnorm and i != self.n:
                grads[f"gamma{i}"] = self.layers[f"BatchNorm{i}"].dgamma
                grads[f"beta{i}"] = self.swap(self.layers[f"BatchNorm{i}"])
        return grads

    def swap(self, bn):
        return bn.dbeta


class MultiLayerNetExtendSwapsBeta(MultiLayerNetExtend):
    """grads['beta{i}'] is handed dgamma: with batch norm on, only the betas are wrong; origin the top beta."""

    def swap(self, bn):
        return bn.dgamma
