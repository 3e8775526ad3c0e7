"""Buggy ReLU6 and Hardswish layers: each a copy of its correct counterpart in `relu6_hardswish.py` with ONE bug,
registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair


@register("relu6", bug="missing-mask", note="the cap at 6 forgotten: gradient sent where forward clipped to 6")
class ReLU6NoCap:
    def __init__(self):
        self.inside = None

    def forward(self, x):
        self.inside = x > 0  # BUG: ReLU's mask; forward also clips above 6, where the gradient is 0
        return np.clip(x, 0.0, 6.0)

    def backward(self, dout):
        return dout * self.inside


def relu6_forward(x):
    out = np.minimum(np.maximum(x, 0.0), 6.0)
    return out, out


def relu6_backward_scaled(dout, cache):
    out = cache
    dx = np.where((out > 0) & (out < 6), dout, 0.0) / 6.0  # BUG: the cap's 6 taken as a slope
    return dx


register_pair(relu6_forward, relu6_backward_scaled, kind="relu6", bug="scaled", name="relu6_scaled")


@register("hardswish", bug="dropped-term", note="d(x (x + 3) / 6)/dx taken as (x + 3) / 6: the x / 6 branch is missing")
class HardswishDropsProductBranch:
    def __init__(self):
        self.x = None

    def forward(self, x):
        self.x = x
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, dout):
        x = self.x
        middle = (x + 3.0) / 6.0  # BUG: the product rule's x * 1/6 term is missing
        return dout * np.where(x <= -3.0, 0.0, np.where(x >= 3.0, 1.0, middle))


def hardswish_forward(x):
    gate = np.clip(x + 3.0, 0.0, 6.0) / 6.0
    out = x * gate
    return out, (x, out, gate)


def hardswish_backward_of_output(dout, cache):
    x, out, gate = cache
    slope = np.where((out > -3.0) & (out < 3.0), 1.0 / 6.0, 0.0)
    return dout * (gate + out * slope)  # BUG: the product rule's x is the output here


register_pair(hardswish_forward, hardswish_backward_of_output, kind="hardswish", bug="wrong-input",
              name="hardswish_of_output")
