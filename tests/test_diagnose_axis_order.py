"""A gradient holding exactly the true values at other positions is an axis order gone wrong (`transposed`), even when
those positions belong to other samples: that it mixes samples is true, but the values say more precisely what
happened (a reshape to (T, N, D) where (N, T, D) belongs)."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import PASS


class TimeAffine:
    """The second volume's time-distributed affine layer; `back_order` is how dx is put back in (N, T, D)."""

    back_order = "right"

    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]

    def forward(self, x):
        self.x = x
        n, t, _ = x.shape
        W, b = self.params
        return (x.reshape(n * t, -1) @ W + b).reshape(n, t, -1)

    def backward(self, dout):
        n, t, d = self.x.shape
        W, _ = self.params
        flat = dout.reshape(n * t, -1)
        self.grads[0][...] = self.x.reshape(n * t, -1).T @ flat
        self.grads[1][...] = flat.sum(axis=0)
        dx = flat @ W.T
        if self.back_order == "time-major":
            return dx.reshape(t, n, d).transpose(1, 0, 2)
        return dx.reshape(n, t, d)


class TimeAffineTimeMajor(TimeAffine):
    back_order = "time-major"


def test_a_time_layers_dx_put_back_in_time_major_order_is_transposed_not_couples_samples():
    TimeAffineTimeMajor.__name__ = "TimeAffine"
    wrong = check_entry(entry_for(TimeAffineTimeMajor), examples=20, seed=0)
    assert wrong.bug_codes == ["transposed"], wrong.bug_codes
    assert check_entry(entry_for(TimeAffine), examples=20, seed=0).verdict == PASS
