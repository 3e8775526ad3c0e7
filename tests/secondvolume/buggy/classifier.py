"""A two-layer classifier built on a Sigmoid of its own whose backward leaves out the factor (1 - y)."""
import sys
sys.path.append('..')
import numpy as np

from common.layers import Affine, SoftmaxWithLoss


class Sigmoid:
    def __init__(self):
        self.params, self.grads = [], []
        self.y = None

    def forward(self, x):
        self.y = 1 / (1 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y  # bug: the derivative is y * (1 - y)


class TwoLayerNetSigmoidBug:
    """Bug in the Sigmoid it calls: W1 and b1 are wrong, W2 and b2 right."""

    def __init__(self, input_size, hidden_size, output_size):
        W1 = (0.5 * np.random.randn(input_size, hidden_size)).astype('f')
        W2 = (0.5 * np.random.randn(hidden_size, output_size)).astype('f')
        self.layers = [Affine(W1, np.zeros(hidden_size, dtype='f')), Sigmoid(),
                       Affine(W2, np.zeros(output_size, dtype='f'))]
        self.loss_layer = SoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, x, t):
        for layer in self.layers:
            x = layer.forward(x)
        return self.loss_layer.forward(x, t)

    def backward(self, dout=1):
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout
