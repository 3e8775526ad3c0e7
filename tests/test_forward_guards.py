"""What forward returns and does to its input, judged before any gradient: a layer that returns one number
is told so (never a gradlab crash), and a layer that writes into x is failed for that alone, its gradients
judged on the function it computes."""

from __future__ import annotations

import numpy as np

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
