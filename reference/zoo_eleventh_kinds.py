"""Buggy layers of the kinds added in session 28: each a copy of its correct counterpart in `eleventh_kinds.py` with
ONE bug, registered with the bug code gradlab must diagnose."""

import numpy as np

from gradlab.registry import register, register_pair


@register("rmsnorm", bug="sign-flip", note="the rms path's share added to dx where it is subtracted")
class RMSNormRmsPathAdded:
    def __init__(self, gamma, eps=1e-6):
        self.gamma = gamma
        self.eps = eps
        self.dgamma = None

    def forward(self, x):
        self.rms = np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + self.eps)
        self.x_hat = x / self.rms
        return self.gamma * self.x_hat

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.x_hat, axis=0)
        dx_hat = dout * self.gamma
        # BUG: + where -: the rms grows with every feature, so its path takes back what x_hat's gives
        return (dx_hat + self.x_hat * np.mean(dx_hat * self.x_hat, axis=-1, keepdims=True)) / self.rms


@register("rmsnorm", bug="wrong-reduction", note="dgamma summed over the features instead of the samples")
class RMSNormDgammaOverFeatures:
    def __init__(self, gamma, eps=1e-6):
        self.gamma = gamma
        self.eps = eps
        self.dgamma = None

    def forward(self, x):
        self.rms = np.sqrt(np.mean(x ** 2, axis=-1, keepdims=True) + self.eps)
        self.x_hat = x / self.rms
        return self.gamma * self.x_hat

    def backward(self, dout):
        self.dgamma = np.sum(dout * self.x_hat, axis=1)  # BUG: axis 1 (the features) where axis 0 belongs
        dx_hat = dout * self.gamma
        return (dx_hat - self.x_hat * np.mean(dx_hat * self.x_hat, axis=-1, keepdims=True)) / self.rms


def rmsnorm_forward(x, gamma, eps=1e-5):
    rms = np.sqrt(np.mean(x * x, axis=1, keepdims=True) + eps)
    out = gamma * x / rms
    return out, (x, gamma, rms)


def rmsnorm_backward_dgamma_mean(dout, cache):
    x, gamma, rms = cache
    D = x.shape[1]
    dgamma = np.mean(dout * x / rms, axis=0)  # BUG: gamma is shared by the samples: their shares add up
    g = dout * gamma
    dx = g / rms - x * np.sum(g * x, axis=1, keepdims=True) / (D * rms ** 3)
    return dx, dgamma


register_pair(rmsnorm_forward, rmsnorm_backward_dgamma_mean, kind="rmsnorm", bug="extra-batch-mean",
              name="rmsnorm_dgamma_mean", note="dgamma the mean over the samples where their sum belongs")
