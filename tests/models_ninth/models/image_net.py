"""An image classifier in the second volume's convention, built from input_dim=(C, H, W) as the first volume's
SimpleConvNet is: its forward takes images (N, C, H, W), nothing flat."""
import sys
sys.path.append('..')
import numpy as np

from common.layers import Affine, ChannelMix, Flatten, SoftmaxWithLoss, Tanh


class ImageNet:
    mix = ChannelMix

    def __init__(self, input_dim=(1, 28, 28), hidden_size=100, output_size=10, weight_init_std=0.01):
        C, H, W = input_dim
        filters = 3
        self.layers = [self.mix(weight_init_std * np.random.randn(filters, C), np.zeros(filters)), Tanh(), Flatten(),
                       Affine(weight_init_std * np.random.randn(filters * H * W, hidden_size), np.zeros(hidden_size)),
                       Tanh(), Affine(weight_init_std * np.random.randn(hidden_size, output_size),
                                      np.zeros(output_size))]
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
