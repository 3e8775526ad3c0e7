"""The codes in a result are the codes its text explains (issue 14): the header of every failing zoo
report lists exactly the codes of the case its body shows (and of the extreme case it also shows). The default run
reads the zoo's sample (tests/zoo_sample.py), `pytest --thorough` every buggy variant."""

from __future__ import annotations

import pytest
import zoo_sample

from gradlab.cases.runner import check_entry
from gradlab.conventions.registry import load_reference
from gradlab.core.messages import explain

BUGGY = [e for e in load_reference().values() if e.is_buggy]


def _explained(report) -> list[str]:
    codes = list(report.failing.bug_codes) if report.failing is not None else []
    if report.extreme_failure is not None:
        codes += report.extreme_failure.bug_codes
    return list(dict.fromkeys(codes))


@pytest.mark.parametrize("entry", zoo_sample.params(BUGGY, load_reference().values()), ids=lambda e: e.name)
def test_the_header_codes_are_the_codes_the_body_explains(entry, zoo_reports, zoo_examples):
    report = zoo_reports.of(entry, examples=zoo_examples, seed=0)  # the zoo's reports, shared with test_zoo
    text = explain(report)
    assert set(report.bug_codes) == set(_explained(report)), text
    for code in report.bug_codes:
        assert f"  {code}: " in text, text


class AffineFirstBiasShareTwice:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0) + dout[0]  # the first sample's share counted twice
        return dout @ self.W.T


def test_a_code_settled_on_a_larger_batch_shows_that_batch():
    # (the zoo's AffineUpdatesInBackward was the example: its dx, computed from updated weights, read "scaled" at
    # N=1; it is now named stale-parameters on any batch)
    from gradlab import entry_for

    report = check_entry(entry_for(AffineFirstBiasShareTwice, kind="affine"), examples=25, seed=0)
    assert report.failing.describe() != report.smallest_failing  # N=1 says "scaled"; N=4 settles it
    assert "case shown above: N=4" in explain(report)


def test_a_constant_factor_that_equals_the_batch_size_is_not_called_a_batch_mean():
    """Batch norm is checked from N=4 on, where a stray 4 looks exactly like the missing 1/N."""
    import numpy as np

    from gradlab import entry_for

    class BatchNormalization:
        def __init__(self, gamma, beta):
            self.gamma, self.beta = gamma, beta

        def forward(self, x, train_flg=True):
            self.xc = x - x.mean(axis=0)
            self.std = np.sqrt((self.xc ** 2).mean(axis=0) + 1e-7)
            self.xn = self.xc / self.std
            return self.gamma * self.xn + self.beta

        def backward(self, dout):
            N = dout.shape[0]
            self.dbeta = 4 * dout.sum(axis=0)  # a stray constant, not a 1/N
            self.dgamma = np.sum(self.xn * dout, axis=0)
            dxn = self.gamma * dout
            return (N * dxn - dxn.sum(axis=0) - self.xn * np.sum(dxn * self.xn, axis=0)) / (N * self.std)

    report = check_entry(entry_for(BatchNormalization), examples=25, seed=0)
    assert report.bug_codes == ["scaled"], explain(report)
