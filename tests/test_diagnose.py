"""The classifier on hand-made arrays: each row is a true gradient `n`, a wrong analytic `a` and the
code diagnosis must give it."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.core.diagnose import diagnose_shape, diagnose_values, fit_factor

RNG = np.random.default_rng(0)
N = 3
n = RNG.standard_normal((N, 5))          # a true gradient with the batch axis first
W = RNG.standard_normal((4, 2))           # a true (D, M) weight gradient
G = RNG.standard_normal((N, 2))           # an upstream gradient for a (2,) bias
half = n.copy()
half[:, ::2] = 0.0


def _ok(a, b):
    return np.abs(a - b) <= 1e-7 + 1e-4 * np.abs(b)


VALUE_CASES = [
    ("N times the true gradient", 3 * n, n, "missing-batch-mean"),
    ("1/N of the true gradient", n / 3, n, "extra-batch-mean"),
    ("minus the true gradient", -n, n, "sign-flip"),
    ("twice the true gradient", 2 * n, n, "scaled"),
    ("a square matrix transposed", n[:, :3].T.copy(), n[:, :3], "transposed"),
    ("a transposed product reshaped to fit", W.T.copy().reshape(W.shape), W, "transposed"),
    ("all zeros", np.zeros_like(n), n, "zero-gradient"),
    ("a NaN", np.where(n > 1, np.nan, n), n, "non-finite"),
    ("half the elements zeroed", half, n, "dropped-term"),
    ("nonzero where the true gradient vanishes", n, np.zeros_like(n), "dropped-term"),
    ("close but missing a small term", n + 0.1 * RNG.standard_normal(n.shape), n, "dropped-term"),
    ("random values", RNG.standard_normal(n.shape), n, "mismatch"),
]


@pytest.mark.parametrize("a, n, code", [c[1:] for c in VALUE_CASES], ids=[c[0] for c in VALUE_CASES])
def test_wrong_values_are_named_by_their_pattern(a, n, code):
    assert diagnose_values("g", a, n, _ok(a, n), N).code == code


SHAPE_CASES = [
    ("the transpose of a weight gradient", W.T.copy(), W, "transposed"),
    ("a bias gradient summed over all axes", np.asarray(G.sum()), G.sum(axis=0), "wrong-reduction"),
    ("a bias gradient that keeps the batch axis", G.copy(), G.sum(axis=0), "wrong-reduction"),
    ("a bias gradient summed over the wrong axis", G.sum(axis=1), G.sum(axis=0), "wrong-reduction"),
    ("an input gradient not reshaped back to 4-D", n.copy(), n.reshape(N, 1, 5, 1), "wrong-shape"),
    ("a gradient of unrelated shape", np.ones((4, 4)), n, "wrong-shape"),
    ("a gradient summed over a feature axis", n.sum(axis=1), n, "wrong-reduction"),
]


@pytest.mark.parametrize("a, n, code", [c[1:] for c in SHAPE_CASES], ids=[c[0] for c in SHAPE_CASES])
def test_wrong_shapes_are_named_by_how_they_went_wrong(a, n, code):
    assert diagnose_shape("g", a, n, N, upstream=G).code == code


def test_a_bias_gradient_summed_over_the_wrong_axis_is_recognised_even_when_the_shape_fits():
    G = RNG.standard_normal((3, 3))
    a, n = G.sum(axis=1), G.sum(axis=0)
    assert diagnose_values("db", a, n, _ok(a, n), 3, upstream=G).code == "wrong-reduction"


def test_a_jacobian_with_every_entry_right_or_missing_is_a_dropped_term_even_on_one_element():
    J = np.array([[1.0], [1.0]])       # two outputs reach the one element: the true gradient adds them
    A = np.array([[0.0], [1.0]])       # the first path was overwritten by the second
    g = np.array([0.7, -0.2])
    a, n = (A.T @ g), (J.T @ g)
    assert diagnose_values("dW", a, n, _ok(a, n), 1, jacobians=(A, J)).code == "dropped-term"


def test_a_jacobian_scaled_entry_by_entry_is_not_mistaken_for_a_dropped_term():
    J = np.eye(3)
    a, n = 2.0 * np.ones(3), np.ones(3)
    assert diagnose_values("dx", a, n, _ok(a, n), 1, jacobians=(2 * J, J)).code == "scaled"


def test_the_scale_factor_is_fitted_over_all_elements():
    c, residual = fit_factor(4.0 * n, n)
    assert c == pytest.approx(4.0) and residual < 1e-12


def test_batch_norm_without_its_mean_and_variance_paths_is_a_dropped_term():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((5, 3))
    xhat = (x - x.mean(axis=0)) / x.std(axis=0)
    G = rng.standard_normal((5, 3))
    n = G - G.mean(axis=0) - xhat * (G * xhat).mean(axis=0)   # the true dx, up to gamma / std
    assert diagnose_values("dx", G, n, _ok(G, n), 5).code == "dropped-term"
