"""Layers whose forward and backward a base class wraps with a decorator: the wrapper takes `training` and
**kwargs and passes them on to the layer's own forward, which names only `training`; the input is kept for
backward only in training mode."""
import numpy as np


class Layer:
    def __init__(self):
        self.cache = {}

    @staticmethod
    def forward(f):
        def wrapped(self, X, training=False, *args, **kwargs):
            Z = f(self, X, training=training, *args, **kwargs)
            if training:
                self.cache["X"], self.cache["Z"] = X, Z
            return Z
        return wrapped

    @staticmethod
    def backward(f):
        def wrapped(self, dZ, training=False, *args, **kwargs):
            return f(self, dZ, training=training, *args, **kwargs)
        return wrapped


class Sigmoid(Layer):
    @Layer.forward
    def forward(self, X, training=False):
        return 1 / (1 + np.exp(-X))

    @Layer.backward
    def backward(self, dZ, training=False):
        Z = self.cache["Z"]
        return 2 * dZ * Z * (1 - Z)


class Tanh(Layer):
    @Layer.forward
    def forward(self, X, training=False):
        return np.tanh(X)

    @Layer.backward
    def backward(self, dZ, training=False):
        Z = self.cache["Z"]
        return -dZ * (1 - Z ** 2)


class Dropout(Layer):
    def __init__(self, drop_rate):
        super().__init__()
        self.drop_rate = drop_rate

    @Layer.forward
    def forward(self, X, training=False):
        if not training:
            return X
        self.cache["mask"] = np.random.rand(*X.shape) >= self.drop_rate
        return X * self.cache["mask"] / (1 - self.drop_rate)

    @Layer.backward
    def backward(self, dZ, training=False):
        # like forward, the identity outside training
        if not training:
            return dZ
        return dZ * self.cache["mask"]
