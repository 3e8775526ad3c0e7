"""Buggy MulLayer, AddLayer and Flatten: one slip each, as learners make them.

Each is its correct counterpart in `graph_nodes.py` with one bug, registered with the code gradlab must give it.
"""

import numpy as np

from gradlab.registry import register, register_pair


@register("mul_layer", bug="wrong-input", note="dx = dout * x: the inputs not swapped")
class MulLayerInputsNotSwapped:
    def __init__(self):
        self.x = self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        dx = dout * self.x  # BUG: d(x * y)/dx is y: each input's gradient takes the other input
        dy = dout * self.x
        return dx, dy


@register("add_layer", bug="sign-flip", note="dy = -dout, a subtraction's rule")
class AddLayerSubtracts:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        dx = dout * 1
        dy = dout * -1  # BUG: that is x - y's rule; an addition passes dout to both inputs
        return dx, dy


@register("add_layer", bug="scaled", note="dout split in half between the inputs")
class AddLayerSplitsGradient:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        half = dout / 2  # BUG: the gradient is not shared out: each input gets all of dout
        return half, half


@register("flatten_layer", bug="wrong-shape", note="backward returns dout as it came, (N, C*H*W)")
class FlattenNotReshapedBack:
    def __init__(self):
        self.x_shape = None

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout  # BUG: dx must have x's shape: dout.reshape(self.x_shape)


def flatten_forward(x):
    return x.reshape(x.shape[0], -1), x.shape


def flatten_backward_for_columns(dout, cache):
    return dout.T.reshape(cache)  # BUG: .T belongs to samples as columns; here dout's rows are the samples


register_pair(flatten_forward, flatten_backward_for_columns, kind="flatten_layer", bug="transposed",
              name="flatten_dout_transposed", note="dout.T reshaped: a flatten for samples as columns")
