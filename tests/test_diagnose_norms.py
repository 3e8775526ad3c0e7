"""Normalisation layers as students write them (issue 14): their numeric gradients accurate enough that a
correct one shows a whole-array error far below 1e-6, their bugs named by what they are, and a batch norm
that normalises over the wrong axis caught by its forward."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import run_case
from gradlab.conventions.registry import load_reference
from gradlab.core import numeric

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
