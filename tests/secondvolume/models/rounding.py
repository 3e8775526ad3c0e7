"""A classifier whose hidden layer stores its output in a float32 buffer made by a name imported from numpy, which
gradlab cannot widen to float64: the model is judged at float32's tolerances where it rounds."""
import sys
sys.path.append('..')
import numpy as np
from numpy import empty

from common.layers import Affine, Sigmoid, SoftmaxWithLoss


class Float32Sigmoid(Sigmoid):
    def forward(self, x):
        out = empty(x.shape, dtype='f')
        out[...] = super().forward(x)
        self.y = out
        return out


class RoundingNet:
    def __init__(self, input_size, hidden_size, output_size):
        self.layers = [Affine(0.5 * np.random.randn(input_size, hidden_size), np.zeros(hidden_size)),
                       Float32Sigmoid(),
                       Affine(0.5 * np.random.randn(hidden_size, output_size), np.zeros(output_size))]
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
