"""Correct PReLU and SELU layers, class style (the textbook's manner) and function style (CS231n's).

PReLU's slope `alpha` is a learned parameter: one per feature of (N, D) or per channel of (N, C, H, W) in
`PReLU` and `prelu_forward`, one number for the whole layer in `PReLUOneSlope`. Its gradient sums, over every
value a slope multiplies, the upstream gradient times x where x <= 0. SELU has fixed constants and no parameter.
"""

import numpy as np

from gradlab.registry import register, register_pair

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def _per_axis_1(alpha, x):
    """A slope per feature (N, D) or per channel (N, C, H, W) shaped to multiply x."""
    return alpha.reshape((1, -1) + (1,) * (x.ndim - 2))


@register("prelu")
class PReLU:
    """One slope per feature (N, D) or per channel (N, C, H, W): dalpha sums over every other axis."""

    def __init__(self, alpha):
        self.alpha = alpha
        self.dalpha = None
        self.x = None

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, _per_axis_1(self.alpha, x) * x)

    def backward(self, dout):
        negative = self.x <= 0
        others = (0,) + tuple(range(2, self.x.ndim))
        self.dalpha = np.sum(dout * self.x * negative, axis=others)
        return dout * np.where(negative, _per_axis_1(self.alpha, self.x), 1.0)


@register("prelu")
class PReLUOneSlope:
    """One slope shared by every value (the PReLU paper's channel-shared variant): dalpha is one number."""

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
        self.dalpha = np.sum(dout[self.mask] * self.x[self.mask])
        dx = dout.copy()
        dx[self.mask] *= self.alpha
        return dx


def prelu_forward(x, alpha):
    """x of shape (N, D) and one slope per feature, alpha of shape (D,)."""
    out = np.maximum(x, 0) + alpha * np.minimum(x, 0)
    return out, (x, alpha)


def prelu_backward(dout, cache):
    x, alpha = cache
    negative = x < 0
    dx = dout * np.where(negative, alpha, 1.0)
    dalpha = np.sum(dout * np.minimum(x, 0), axis=0)
    return dx, dalpha


@register("selu")
class SELU:
    """scale * x where x > 0 and scale * alpha * (exp(x) - 1) elsewhere; the derivative there is out + scale * alpha."""

    def __init__(self):
        self.alpha, self.scale = SELU_ALPHA, SELU_SCALE
        self.mask = self.out = None

    def forward(self, x):
        self.mask = x > 0
        self.out = self.scale * np.where(self.mask, x, self.alpha * np.expm1(np.minimum(x, 0)))
        return self.out

    def backward(self, dout):
        return dout * np.where(self.mask, self.scale, self.out + self.scale * self.alpha)


def selu_forward(x):
    out = SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))
    return out, x


def selu_backward(dout, cache):
    x = cache
    return dout * SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))


register_pair(prelu_forward, prelu_backward, kind="prelu")
register_pair(selu_forward, selu_backward, kind="selu")
