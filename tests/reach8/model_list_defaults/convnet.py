"""A CS231n-style model whose convolutions are given as lists, one entry a layer: a number there cannot build it."""
import numpy as np


class ConvNet:
    def __init__(self, input_dim=(3, 32, 32), num_filters=[16, 16], filter_size=[3, 3], hidden_dim=100,
                 num_classes=10, weight_scale=1e-3, reg=0.0, dtype=np.float32):
        self.params = {}
        channels = input_dim[0]
        for i in range(len(num_filters)):
            self.params[f"W{i}"] = weight_scale * np.random.randn(num_filters[i], channels, filter_size[i],
                                                                  filter_size[i])
            channels = num_filters[i]

    def loss(self, X, y=None):
        raise NotImplementedError
