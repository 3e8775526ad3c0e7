"""A two-layer classifier as the second volume builds one: its layers in a list, their params gathered."""
import sys
sys.path.append('..')
import numpy as np

from common.layers import Affine, Sigmoid, SoftmaxWithLoss


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size):
        W1 = np.random.randn(input_size, hidden_size).astype('f')
        b1 = np.random.randn(hidden_size).astype('f')
        W2 = (3 * np.random.randn(hidden_size, output_size)).astype('f')
        b2 = np.random.randn(output_size).astype('f')
        self.layers = [Affine(W1, b1), Sigmoid(), Affine(W2, b2)]
        self.loss_layer = SoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def forward(self, x, t):
        return self.loss_layer.forward(self.predict(x), t)

    def backward(self, dout=1):
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout
