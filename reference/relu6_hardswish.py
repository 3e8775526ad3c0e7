"""Correct ReLU6 and Hardswish layers, class style (the textbook's manner) and function style (CS231n's).

ReLU6 passes the gradient where 0 < x < 6 and nowhere else; Hardswish, x · relu6(x + 3) / 6, has the derivative
0 below -3, 1 above 3 and (2x + 3) / 6 between (the product rule on x and (x + 3) / 6).
"""

import numpy as np

from gradlab.registry import register, register_pair


@register("relu6")
class ReLU6:
    def __init__(self):
        self.inside = None

    def forward(self, x):
        self.inside = (x > 0) & (x < 6)
        return np.clip(x, 0.0, 6.0)

    def backward(self, dout):
        return dout * self.inside


def relu6_forward(x):
    out = np.minimum(np.maximum(x, 0.0), 6.0)
    return out, x


def relu6_backward(dout, cache):
    x = cache
    dx = np.where((x > 0) & (x < 6), dout, 0.0)
    return dx


register_pair(relu6_forward, relu6_backward, kind="relu6")


@register("hardswish")
class Hardswish:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, dout):
        x = self.x
        middle = (2.0 * x + 3.0) / 6.0
        return dout * np.where(x <= -3.0, 0.0, np.where(x >= 3.0, 1.0, middle))


def hardswish_forward(x):
    gate = np.clip(x + 3.0, 0.0, 6.0) / 6.0
    return x * gate, (x, gate)


def hardswish_backward(dout, cache):
    x, gate = cache
    # the product rule: d(x * gate)/dx = gate + x * gate', and gate' = 1/6 where -3 < x < 3
    slope = np.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0)
    return dout * (gate + x * slope)


register_pair(hardswish_forward, hardswish_backward, kind="hardswish")
