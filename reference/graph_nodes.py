"""Correct layers of the textbook's computational-graph chapter (vol. 1, chapter 5), and Flatten.

`MulLayer` and `AddLayer` take two inputs, `forward(x, y)`, and return a gradient for each, `backward(dout) ->
(dx, dy)`: the book builds an apple's price with tax from them before it builds Affine. `Flatten` turns a batch
of feature maps (N, C, H, W) into rows (N, C*H*W) and puts the gradient back in their shape, in class style and
in function style (`flatten_forward(x) -> (out, cache)`, `flatten_backward(dout, cache) -> dx`).
"""

import numpy as np

from gradlab.registry import register, register_pair


@register("mul_layer")
class MulLayer:
    """out = x * y: each input's gradient is the upstream one times the other input."""

    def __init__(self):
        self.x = self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


@register("add_layer")
class AddLayer:
    """out = x + y: the upstream gradient reaches both inputs unchanged."""

    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


@register("flatten_layer")
class Flatten:
    """(N, C, H, W) -> (N, C*H*W); backward undoes the reshape."""

    def __init__(self):
        self.x_shape = None

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.x_shape)


def flatten_forward(x):
    return x.reshape(x.shape[0], -1), x.shape


def flatten_backward(dout, cache):
    return dout.reshape(cache)


register_pair(flatten_forward, flatten_backward, kind="flatten_layer")
