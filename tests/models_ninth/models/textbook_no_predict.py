"""A first-volume net as a learner writes it: params dict, loss(x, t) and gradient(x, t) through its layers, the book's
SoftmaxWithLoss as its last layer, and no predict (its scores are computed inside loss)."""
import numpy as np

from common.layers import Affine, SoftmaxWithLoss, Tanh


class NoPredictNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size), "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size), "b2": np.zeros(output_size)}
        self.first, self.act = Affine(self.params["W1"], self.params["b1"]), Tanh()
        self.second = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()

    def loss(self, x, t):
        return self.lastLayer.forward(self.second.forward(self.act.forward(self.first.forward(x))), t)

    def gradient(self, x, t):
        self.loss(x, t)
        self.first.backward(self.act.backward(self.second.backward(self.lastLayer.backward(1))))
        return {"W1": self.first.grads[0], "b1": self.first.grads[1],
                "W2": self.second.grads[0], "b2": self.second.grads[1]}
