"""The second volume's TimeSoftmaxWithLoss ignores steps labelled -1 (its `ignore_label`): they add nothing to
the loss or to dx, and the mean is over the other steps. Cases label some steps -1, so a backward that drops
the mask fails. Layers written here in the book's style, not copied."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS


class TimeSoftmaxWithLoss:
    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None
        self.ignore_label = -1

    def forward(self, xs, ts):
        N, T, V = xs.shape
        if ts.ndim == 3:  # one-hot labels
            ts = ts.argmax(axis=2)
        keep = (ts != self.ignore_label).reshape(N * T)
        ts = ts.reshape(N * T)
        e = np.exp(xs.reshape(N * T, V) - xs.max(axis=2).reshape(N * T, 1))
        ys = e / e.sum(axis=1, keepdims=True)
        loss = -(np.log(ys[np.arange(N * T), ts]) * keep).sum() / keep.sum()
        self.cache = (ts, ys, keep, (N, T, V))
        return loss

    def backward(self, dout=1):
        ts, ys, keep, (N, T, V) = self.cache
        dx = ys.copy()
        dx[np.arange(N * T), ts] -= 1
        dx *= dout / keep.sum()
        dx *= keep[:, None]  # an ignored step gets no gradient, as it got no loss
        return dx.reshape(N, T, V)


class TimeSoftmaxWithLossNoMask(TimeSoftmaxWithLoss):
    def backward(self, dout=1):
        ts, ys, keep, (N, T, V) = self.cache
        dx = ys.copy()
        dx[np.arange(N * T), ts] -= 1
        dx *= dout / keep.sum()  # BUG: the mask is gone: steps labelled -1 get p - onehot(last class)
        return dx.reshape(N, T, V)


class Simple_TimeSoftmaxWithLoss:  # noqa: N801 (the book's name)
    """No ignore label: -1 indexes the last class in its forward and its backward alike."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, xs, ts):
        N, T, V = xs.shape
        e = np.exp(xs - xs.max(axis=2, keepdims=True))
        ys = e / e.sum(axis=2, keepdims=True)
        n, t = np.meshgrid(np.arange(N), np.arange(T), indexing="ij")
        self.cache = (ys, ts, n, t)
        return -np.log(ys[n, t, ts]).sum() / (N * T)

    def backward(self, dout=1):
        ys, ts, n, t = self.cache
        dx = ys.copy()
        dx[n, t, ts] -= 1
        return dx * dout / ts.size


def test_time_softmax_with_loss_with_its_ignore_mask_passes():
    report = check_entry(entry_for(TimeSoftmaxWithLoss), examples=20, seed=0)
    assert report.verdict == PASS, report.bug_codes


def test_time_softmax_with_loss_without_its_ignore_mask_fails_missing_mask_for_gradient_where_none_may_go():
    report = check_entry(entry_for(TimeSoftmaxWithLossNoMask, kind="time_softmax_with_loss"), examples=20, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["missing-mask"], report.bug_codes
    assert report.failing is not None and report.failing.spec.get("ignore") is True


def test_a_version_without_an_ignore_label_still_passes_on_cases_that_label_steps_minus_one():
    report = check_entry(entry_for(Simple_TimeSoftmaxWithLoss), examples=20, seed=0)
    assert report.verdict == PASS, report.bug_codes


def test_a_case_that_ignores_steps_keeps_at_least_one_and_one_hot_cases_ignore_none():
    kind = KINDS["time_softmax_with_loss"]
    for seed in range(30):
        t = kind.case({"N": 1, "T": 2, "V": 3, "ignore": True, "seed": seed}).t
        assert t is not None and (t != -1).any() and set(np.unique(t)) <= {-1, 0, 1, 2}
    assert any((kind.case({"N": 3, "T": 4, "V": 3, "ignore": True, "seed": s}).t == -1).any() for s in range(5))
    onehot = kind.case({"N": 3, "T": 4, "V": 3, "ignore": True, "labels": "onehot", "seed": 0}).t
    assert onehot is not None and onehot.shape == (3, 4, 3) and (onehot.sum(axis=2) == 1).all()


def test_the_reference_loss_is_the_mean_over_the_steps_not_ignored():
    from gradlab.reference.dlfs2_classes import TimeSoftmaxWithLoss as Reference

    xs = np.random.default_rng(0).standard_normal((2, 3, 4))
    ts = np.array([[0, -1, 3], [-1, -1, 2]])
    log_p = xs - np.log(np.exp(xs).sum(axis=2, keepdims=True))
    expected = -(log_p[0, 0, 0] + log_p[0, 2, 3] + log_p[1, 2, 2]) / 3
    layer = Reference()
    assert np.isclose(layer.forward(xs, ts), expected)
    dx = layer.backward()
    assert np.all(dx[0, 1] == 0) and np.all(dx[1, :2] == 0)
