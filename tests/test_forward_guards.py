"""What forward returns and does to its input, judged before any gradient: a layer that returns one number
is told so (never a gradlab crash), and a layer that writes into x is failed for that alone, its gradients
judged on the function it computes."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL


class SummingRelu:
    def forward(self, x):
        self.mask = x <= 0
        return np.float64(np.where(self.mask, 0.0, x).sum())

    def backward(self, dout):
        return dout * ~self.mask


def shifting_sigmoid(factor=1.0):
    class ShiftingSigmoid:
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x))
            x -= 1.0  # writes into the caller's array
            return self.out

        def backward(self, dout):
            return factor * dout * self.out * (1 - self.out)

    return ShiftingSigmoid


def test_a_layer_whose_forward_returns_one_number_is_told_so_not_reported_as_a_gradlab_bug():
    report = check_entry(entry_for(SummingRelu, kind="relu"), examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["crashed"] and report.error is None
    assert report.failing is not None
    message = report.failing.findings[0].message
    assert message.startswith("forward returned a single number: a layer returns one output per sample")


def test_a_layer_writing_into_x_fails_for_that_alone_when_its_gradient_is_right():
    report = check_entry(entry_for(shifting_sigmoid(), kind="sigmoid"), examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["mutates-input"]
    assert report.failing is not None and all(g.passed for g in report.failing.gradients)


def test_a_layer_writing_into_x_with_a_wrong_gradient_has_both_named():
    report = check_entry(entry_for(shifting_sigmoid(1.5), kind="sigmoid"), examples=10, seed=0)
    assert report.bug_codes == ["mutates-input", "scaled"]


def dropout(scale_of, keep_when):
    """A class-style dropout keeping units where keep_when(u, p) for uniform u, scaled by scale_of(p); its
    backward agrees with its forward, so only the forward's own law can find a wrong scale."""

    class Dropout:
        def __init__(self, dropout_ratio=0.5):
            self.p = dropout_ratio

        def forward(self, x, train_flg=True):
            self.mask = keep_when(np.random.rand(*x.shape), self.p) * scale_of(self.p)
            return x * self.mask

        def backward(self, dout):
            return dout * self.mask

    return Dropout


@pytest.mark.parametrize("layer", [
    dropout(lambda p: 1.0 / (1.0 - p), lambda u, p: u > p),  # the ratio is the drop probability
    dropout(lambda p: 1.0 / p, lambda u, p: u < p),  # CS231n since 2017: p is the keep probability
    dropout(lambda p: 1.0, lambda u, p: u > p),  # the textbook: no scaling in training
], ids=["drop-ratio", "keep-probability", "textbook"])
def test_every_published_dropout_convention_obeys_the_forward_law(layer):
    assert check_entry(entry_for(layer, kind="dropout"), examples=20, seed=0).verdict == "pass"


def test_a_dropout_dividing_by_the_drop_ratio_where_the_keep_fraction_belongs_fails_its_forward_law():
    layer = dropout(lambda p: 1.0 / p, lambda u, p: u > p)
    report = check_entry(entry_for(layer, kind="dropout"), examples=20, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["scaled"]
    assert report.failing is not None and report.failing.spec["ratio"] != 0.5  # at 0.5 the two agree
    assert "inverted dropout divides the kept units by the fraction it keeps" in report.failing.findings[0].message
