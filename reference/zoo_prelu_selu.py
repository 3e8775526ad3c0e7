"""Buggy PReLU and SELU layers: each a copy of its correct counterpart in `prelu_selu.py` with ONE bug,
registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


@register("prelu", bug="wrong-reduction", note="dalpha = dout * x where x <= 0, not summed over the batch")
class PReLUDalphaPerSample:
    def __init__(self, alpha):
        self.alpha = alpha
        self.dalpha = None
        self.x = None

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        negative = self.x <= 0
        self.dalpha = dout * self.x * negative  # BUG: one slope's gradient sums over the samples it multiplies
        return dout * np.where(negative, self.alpha, 1.0)


@register("prelu", bug="sign-flip", note="dalpha = -sum(dout * x) where x <= 0")
class PReLUOneSlopeDalphaSign:
    def __init__(self, alpha=0.25):
        self.alpha = alpha
        self.dalpha = None
        self.mask = None
        self.x = None

    def forward(self, x):
        self.x = x
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] *= self.alpha
        return out

    def backward(self, dout):
        self.dalpha = -np.sum(dout[self.mask] * self.x[self.mask])  # BUG: the sign
        dx = dout.copy()
        dx[self.mask] *= self.alpha
        return dx


def prelu_forward(x, alpha):
    negative_part = np.minimum(x, 0)
    out = np.maximum(x, 0) + alpha * negative_part
    return out, (x, alpha, negative_part)


def prelu_backward_dalpha_of_input(dout, cache):
    x, alpha, negative_part = cache
    dx = dout * np.where(x < 0, alpha, 1.0)
    dalpha = np.sum(dout * x, axis=0)  # BUG: d(alpha * min(x, 0))/d(alpha) is min(x, 0), not x
    return dx, dalpha


@register("selu", bug="wrong-input", note="exp(out) where exp(x) belongs")
class SELUExpOfOutput:
    def __init__(self):
        self.alpha, self.scale = SELU_ALPHA, SELU_SCALE
        self.x = self.out = None

    def forward(self, x):
        self.x = x
        self.out = self.scale * np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, dout):
        # BUG: the derivative of exp is taken at the output, not at the input
        return dout * self.scale * np.where(self.x > 0, 1.0, self.alpha * np.exp(self.out))


def selu_forward(x):
    out = SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    return out, x


def _selu_slope(x):
    """SELU's derivative at x, its scale included."""
    return SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))


def selu_backward_scale_twice(dout, cache):
    x = cache
    return dout * SELU_SCALE * _selu_slope(x)  # BUG: the slope already holds the scale


register_pair(prelu_forward, prelu_backward_dalpha_of_input, kind="prelu", bug="wrong-input",
              name="prelu_dalpha_of_input", note="dalpha = sum(dout * x) where min(x, 0) belongs")
register_pair(selu_forward, selu_backward_scale_twice, kind="selu", bug="scaled", name="selu_scale_twice",
              note="dx = dout * scale * slope(x), the slope's scale included")
