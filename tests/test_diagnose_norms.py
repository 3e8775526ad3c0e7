"""Normalisation layers as students write them (issue 14): their numeric gradients accurate enough that a
correct one shows a whole-array error far below 1e-6, their bugs named by what they are, and a batch norm
that normalises over the wrong axis caught by its forward."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gradlab.cases.runner import check_entry, run_case
from gradlab.conventions.discover import entry_for
from gradlab.conventions.registry import load_reference
from gradlab.core import numeric
from gradlab.core.messages import explain
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS

# ---------------------------------------------------------------------------------------------------------
# 1. the numeric side: a step too coarse for where the function varies is refined, nowhere else


def _central(f, x, h):
    return np.array([(f(x + hk * e) - f(x - hk * e)) / (2 * hk) for hk, e in zip(h, np.eye(x.size))])


def _sharp(x):
    """Varies on a scale of 0.002 around values near 1: the relative step is far too coarse here."""
    return float(np.sum(np.sin(x / 0.002)))


def _problem(f, x):
    h = numeric.steps(x)
    calls = {"half": 0}

    def gradient_at(hh):
        calls["half"] += 1
        return _central(f, x, hh)

    def evaluate_at(k, delta):
        moved = x.copy()
        moved[k] += delta
        return np.array(f(moved))

    return h, gradient_at, evaluate_at, calls


def test_a_numeric_gradient_whose_step_is_too_coarse_for_the_function_is_refined_by_richardson():
    x = 1.0 + 0.01 * np.random.default_rng(0).standard_normal(5)
    true = np.cos(x / 0.002) / 0.002
    h, gradient_at, evaluate_at, calls = _problem(_sharp, x)
    coarse = _central(_sharp, x, h)
    assert np.linalg.norm(coarse - true) / np.linalg.norm(true) > 1e-7  # what the report used to show
    refined = numeric.refined_where_poor(coarse, true, gradient_at=gradient_at, evaluate_at=evaluate_at,
                                         G=np.ones(()), h=h, noise=0.0)
    assert calls["half"] == 1
    assert np.linalg.norm(refined - true) / np.linalg.norm(true) < 1e-3 * np.linalg.norm(coarse - true) / \
        np.linalg.norm(true)


def test_a_wrong_analytic_gradient_is_no_reason_to_refine_an_exact_numeric_one():
    x = np.random.default_rng(1).standard_normal(6)
    linear = lambda v: float(np.sum(3.0 * v))  # noqa: E731 - central differences are exact on it
    h, gradient_at, evaluate_at, calls = _problem(linear, x)
    numeric_grad = _central(linear, x, h)
    out = numeric.refined_where_poor(numeric_grad, 2.0 * numeric_grad, gradient_at=gradient_at,
                                     evaluate_at=evaluate_at, G=np.ones(()), h=h, noise=1e-12)
    assert out is numeric_grad and calls["half"] == 0


def test_an_analytic_gradient_that_already_agrees_costs_no_closer_look():
    x = 1.0 + 0.01 * np.random.default_rng(2).standard_normal(4)
    h, gradient_at, _, calls = _problem(_sharp, x)
    coarse = _central(_sharp, x, h)

    def never(k, delta):
        raise AssertionError("no element needed a closer look")

    assert numeric.refined_where_poor(coarse, coarse.copy(), gradient_at=gradient_at, evaluate_at=never,
                                      G=np.ones(()), h=h, noise=0.0) is coarse
    assert calls["half"] == 0


def test_the_textbook_batch_norm_on_samples_spread_by_a_hundredth_shows_a_whole_array_error_below_1e_8():
    # the case that showed 2.7e-6 with the magnitude-relative step alone (samples 0.01 apart around 1)
    result = run_case(load_reference()["BatchNormalization"], {"N": 4, "D": 6, "scale": 0.01, "seed": 0})
    dx = next(g for g in result.gradients if g.name == "dx")
    assert dx.passed and dx.rel_error < 1e-8


# ---------------------------------------------------------------------------------------------------------
# 3. batch norm's forward law: each feature's training outputs have mean beta and std gamma over the batch


def _batchnorm(axis, *, ddof=0, eps=1e-5, keep_running=False):
    """A batch norm class normalising over `axis`, with the backward of exactly that forward (so every
    gradient check agrees with it)."""

    class BatchNorm:
        def __init__(self, gamma, beta, momentum=0.9):
            self.gamma, self.beta, self.momentum = gamma, beta, momentum
            self.running_mean = self.running_var = None

        def forward(self, x, train_flg=True):
            n = x.shape[axis]
            mu = x.mean(axis=axis, keepdims=True)
            var = x.var(axis=axis, keepdims=True, ddof=ddof)
            if keep_running:  # the running statistics are bookkeeping: training output never reads them
                self.running_mean = mu if self.running_mean is None else 0.9 * self.running_mean + 0.1 * mu
                self.running_var = var if self.running_var is None else 0.9 * self.running_var + 0.1 * var
            self.std = np.sqrt(var + eps)
            self.xn = (x - mu) / self.std
            self.k = (n - ddof) / n  # d var / d x carries 2 (x - mu) / (n - ddof)
            return self.gamma * self.xn + self.beta

        def backward(self, dout):
            self.dbeta = dout.sum(axis=0)
            self.dgamma = np.sum(self.xn * dout, axis=0)
            dxn = self.gamma * dout
            mean = lambda a: a.mean(axis=axis, keepdims=True)  # noqa: E731
            return (dxn - mean(dxn) - self.xn * mean(dxn * self.xn) / self.k) / self.std

    return BatchNorm


@pytest.mark.parametrize("layer", [
    _batchnorm(0), _batchnorm(0, ddof=1), _batchnorm(0, eps=1e-3), _batchnorm(0, eps=0.0),
    _batchnorm(0, keep_running=True),
], ids=["cs231n", "unbiased-variance", "eps-1e-3", "no-eps", "running-stats"])
def test_a_batch_norm_over_the_batch_obeys_the_forward_law_whatever_its_variance_epsilon_or_running_stats(layer):
    report = check_entry(entry_for(layer, kind="batchnorm"), examples=10, seed=0)
    assert report.verdict == PASS, explain(report)


def test_a_batch_norm_over_the_features_with_a_backward_to_match_is_named_layer_norm():
    report = check_entry(entry_for(_batchnorm(1), kind="batchnorm"), examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["couples-samples"]
    assert report.failing is not None
    assert "normalised each sample over its features: that is layer norm" in report.failing.findings[0].message
    assert all(g.passed for g in report.failing.gradients)  # only the law could tell


def test_without_its_forward_law_a_batch_norm_over_the_features_would_pass(monkeypatch):
    monkeypatch.setitem(KINDS, "batchnorm", replace(KINDS["batchnorm"], forward_law=None))
    assert check_entry(entry_for(_batchnorm(1), kind="batchnorm"), examples=10, seed=0).verdict == PASS


def test_a_batch_norm_that_forgets_to_centre_fails_the_law_saying_which_feature_and_by_how_much():
    class NotCentred:
        def __init__(self, gamma, beta):
            self.gamma, self.beta = gamma, beta

        def forward(self, x, train_flg=True):
            self.std = np.sqrt(x.var(axis=0) + 1e-5)
            self.xn = x / self.std  # BUG (in forward too): the mean is never subtracted
            return self.gamma * self.xn + self.beta

        def backward(self, dout):
            self.dbeta, self.dgamma = dout.sum(axis=0), np.sum(self.xn * dout, axis=0)
            dxn = self.gamma * dout
            N = dout.shape[0]
            xc = self.xn - self.xn.mean(axis=0)
            return dxn / self.std - xc * np.sum(dxn * self.xn, axis=0) / (N * self.std)

    report = check_entry(entry_for(NotCentred, kind="batchnorm"), examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == "mismatch"
    assert "have mean β and standard deviation γ over the batch; feature" in report.failing.findings[0].message
