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


# ---------------------------------------------------------------------------------------------------------
# 2. a normalisation's backward read part by part: direct dxhat/sigma, the mean's path, the variance's path


def _batchnorm_parts(direct=1.0, mean=1.0, var=1.0, *, var_ddof=0, eps_in_backward=True, var_sigma_power=0.0):
    """Batch norm whose backward weighs its three parts by the factors given (1, 1, 1 is right)."""

    class BatchNorm:
        def __init__(self, gamma, beta):
            self.gamma, self.beta = gamma, beta

        def forward(self, x, train_flg=True):
            self.xc = x - x.mean(axis=0)
            self.var = np.mean(self.xc ** 2, axis=0)
            self.xn = self.xc / np.sqrt(self.var + 1e-5)
            return self.gamma * self.xn + self.beta

        def backward(self, dout):
            N = dout.shape[0]
            self.dbeta, self.dgamma = dout.sum(axis=0), np.sum(self.xn * dout, axis=0)
            std = np.sqrt(self.var + 1e-5) if eps_in_backward else np.sqrt(self.var)
            xn = self.xc / std
            dxn = self.gamma * dout
            return (direct * dxn - mean * dxn.mean(axis=0)
                    - var * std ** var_sigma_power * xn * np.sum(dxn * xn, axis=0) / (N - var_ddof)) / std

    return BatchNorm


@pytest.mark.parametrize("layer, code, said", [
    (_batchnorm_parts(var=-1.0), "sign-flip", "variance's path with the wrong sign"),
    (_batchnorm_parts(mean=-1.0), "sign-flip", "mean's path with the wrong sign"),
    (_batchnorm_parts(var=0.0), "dropped-term", "by the variance's path alone"),
    (_batchnorm_parts(mean=0.0), "dropped-term", "by the mean's path alone"),
    (_batchnorm_parts(var_ddof=1), "scaled", "divides by M − 1 where the forward's variance"),
    (_batchnorm_parts(var=2.0), "scaled", "the variance's path is 2 times the true one"),
    (_batchnorm_parts(eps_in_backward=False), "scaled", "divides by sqrt(var) where the forward divided by"),
    # σ**-1: no array read where x̂ belongs gives it (x − mean for x̂ gives σ**1 or σ**2: wrong-input)
    (_batchnorm_parts(var_sigma_power=-1.0), "scaled", "the variance's path of dx is σ**-1 times the true one"),
], ids=["var-sign", "mean-sign", "no-var", "no-mean", "n-minus-1", "var-twice", "eps-left-out", "var-sigma-power"])
def test_a_batch_norm_backward_is_named_by_which_part_is_wrong_and_how(layer, code, said):
    report = check_entry(entry_for(layer, kind="batchnorm"), examples=15, seed=0)
    assert report.verdict == FAIL and report.bug_codes == [code], explain(report)
    dx = next(g for g in report.failing.gradients if g.name == "dx")
    assert said in dx.diagnosis


def test_the_right_parts_pass_so_the_table_above_is_about_the_factors_alone():
    assert check_entry(entry_for(_batchnorm_parts(), kind="batchnorm"), examples=15, seed=0).verdict == PASS


def test_a_layer_norm_backward_averaging_over_the_batch_couples_samples_and_a_right_one_does_not():
    class LayerNorm:
        over = 1

        def __init__(self, gamma, beta):
            self.gamma, self.beta = gamma, beta

        def forward(self, x):
            xc = x - x.mean(axis=1, keepdims=True)
            self.std = np.sqrt(np.mean(xc ** 2, axis=1, keepdims=True) + 1e-5)
            self.xn = xc / self.std
            return self.gamma * self.xn + self.beta

        def backward(self, dout):
            self.dbeta, self.dgamma = dout.sum(axis=0), np.sum(self.xn * dout, axis=0)
            dxn = self.gamma * dout
            return (dxn - dxn.mean(axis=self.over, keepdims=True)
                    - self.xn * np.mean(dxn * self.xn, axis=1, keepdims=True)) / self.std

    class OverBatch(LayerNorm):
        over = 0

    assert check_entry(entry_for(LayerNorm, kind="layernorm"), examples=10, seed=0).verdict == PASS
    report = check_entry(entry_for(OverBatch, kind="layernorm"), examples=10, seed=0)
    assert report.bug_codes == ["couples-samples"], explain(report)
    assert "changes when only the other samples' dout changes" in explain(report)


@pytest.mark.parametrize("swapped", [False, True], ids=["dbeta-formula", "swapped"])
def test_a_dgamma_holding_dbetas_value_is_a_formula_a_factor_short_unless_dbeta_holds_dgammas(swapped):
    class BatchNorm(_batchnorm_parts()):
        def backward(self, dout):
            dx = super().backward(dout)
            right_dgamma = self.dgamma
            self.dgamma = dout.sum(axis=0)
            if swapped:
                self.dbeta = right_dgamma
            return dx

    report = check_entry(entry_for(BatchNorm, kind="batchnorm"), examples=10, seed=0)
    dgamma = next(g for g in report.failing.gradients if g.name == "dgamma")
    assert dgamma.bug_code == "mismatch"
    assert ("wrong order" in dgamma.diagnosis) == swapped
    assert ("a factor short" in dgamma.diagnosis) != swapped
