"""The column layout (samples as columns) is an adapter option: same checks, same bug codes."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.conventions.discover import entry_for
from gradlab.cases.runner import check_entry


class Affine:
    """Z = W @ X + b with X of shape (in, N), W (out, in), b (out, 1): the column-style course."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, X):
        self.X = X
        return self.W @ X + self.b

    def backward(self, dZ):
        self.dW = dZ @ self.X.T
        self.db = dZ.sum(axis=1, keepdims=True)
        return self.W.T @ dZ


class AffineForgetsKeepdims(Affine):
    def backward(self, dZ):
        dx = super().backward(dZ)
        self.db = dZ.sum(axis=0)  # summed over the samples' axis of the row layout: the wrong axis here
        return dx


class SoftmaxWithLoss:
    """Softmax over axis 0 (classes are rows), mean cross-entropy over the N columns."""

    def forward(self, Z, Y):
        if Y.ndim == 1:  # class indices -> one-hot columns
            Y = np.eye(Z.shape[0])[:, Y]
        self.Y = Y
        shifted = Z - Z.max(axis=0, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
        self.P = np.exp(log_p)
        return -np.sum(Y * log_p) / Z.shape[1]

    def backward(self, dout=1):
        return dout * (self.P - self.Y) / self.Y.shape[1]


def test_a_column_style_affine_with_out_in_weights_passes():
    report = check_entry(entry_for(Affine, layout="columns", weights="out_in"), examples=30)
    assert report.verdict == "pass", report.bug_codes


def test_the_same_affine_checked_in_the_row_layout_fails():
    assert check_entry(entry_for(Affine), examples=10).verdict == "fail"


def test_a_column_style_bias_summed_over_the_wrong_axis_is_a_wrong_reduction():
    report = check_entry(entry_for(AffineForgetsKeepdims, kind="affine", layout="columns", weights="out_in"),
                         examples=30)
    assert report.verdict == "fail"
    assert report.bug_codes[0] == "wrong-reduction"


def test_a_column_style_softmax_loss_with_one_hot_columns_passes():
    report = check_entry(entry_for(SoftmaxWithLoss, layout="columns"), examples=30)
    assert report.verdict == "pass", report.bug_codes


@pytest.mark.parametrize("kwargs", [{"layout": "cols"}, {"layout": "columns", "weights": "transposed"}],
                         ids=["unknown-layout", "unknown-weights"])
def test_a_bad_layout_option_says_what_to_pass(kwargs):
    with pytest.raises(ValueError, match="use one of"):
        entry_for(Affine, **kwargs)
