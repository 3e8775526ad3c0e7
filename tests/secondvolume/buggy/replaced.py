"""A classifier on an Affine of its own whose backward replaces its grads entry instead of writing into it."""
import sys
sys.path.append('..')
import numpy as np

from common.layers import SoftmaxWithLoss


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        self.x = x
        return x @ self.params[0] + self.params[1]

    def backward(self, dout):
        self.grads[0][...] = self.x.T @ dout
        self.grads[1] = dout.sum(axis=0)  # bug: a new array; the model's list keeps the zeros it gathered
        return dout @ self.params[0].T


class LinearReplacedBias:
    """Bug in the Affine it calls: b's gradient never reaches the model's grads list (all zeros); W is right."""

    def __init__(self, input_size, output_size):
        self.layer = Affine(np.random.randn(input_size, output_size).astype('f'), np.zeros(output_size, dtype='f'))
        self.loss_layer = SoftmaxWithLoss()
        self.params, self.grads = [], []
        self.params += self.layer.params
        self.grads += self.layer.grads

    def forward(self, x, t):
        return self.loss_layer.forward(self.layer.forward(x), t)

    def backward(self, dout=1):
        return self.layer.backward(self.loss_layer.backward(dout))
