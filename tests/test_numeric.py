"""The finite-difference core: accurate where smooth, honest at kinks, vectorised where allowed."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.core import numeric


def _tanh_layer(W: np.ndarray):
    return lambda x: np.tanh(x @ W)


def test_looped_gradient_matches_the_analytic_gradient_of_a_smooth_function():
    rng = np.random.default_rng(0)
    x, W = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    G = rng.standard_normal((3, 2))
    num = numeric.looped_gradient(lambda: np.tanh(x @ W), W, G)
    exact = x.T @ (G * (1 - np.tanh(x @ W) ** 2))
    np.testing.assert_allclose(num, exact, rtol=1e-8, atol=1e-10)


def test_looped_gradient_leaves_the_array_exactly_as_it_was():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 3)) * 1e3
    before = W.copy()
    numeric.looped_gradient(lambda: W ** 2, W, np.ones((3, 3)))
    assert np.array_equal(W, before)


def test_stacked_input_gradient_equals_the_element_loop_for_a_per_sample_layer():
    rng = np.random.default_rng(2)
    W = rng.standard_normal((5, 3))
    x = rng.standard_normal((4, 5))
    f = _tanh_layer(W)
    G = rng.standard_normal((4, 3))
    stacked = numeric.stacked_input_gradient(f, x, f(x), G)
    xw = x.copy()
    looped = numeric.looped_gradient(lambda: f(xw), xw, G)
    np.testing.assert_allclose(stacked, looped, rtol=1e-7, atol=1e-10)


def test_stacking_is_refused_when_samples_are_mixed():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3))

    def centre(xb: np.ndarray) -> np.ndarray:
        return xb - xb.mean(axis=0)

    with pytest.raises(numeric.StackingRefused):
        numeric.stacked_input_gradient(centre, x, centre(x), rng.standard_normal((4, 3)))


def test_stacking_is_refused_when_the_layer_cannot_take_a_bigger_batch():
    x = np.ones((2, 3))

    def fixed_batch(xb: np.ndarray) -> np.ndarray:
        assert xb.shape[0] == 2
        return xb * 2

    with pytest.raises(numeric.StackingRefused):
        numeric.stacked_input_gradient(fixed_batch, x, fixed_batch(x), np.ones((2, 3)))


def test_steps_grow_with_the_magnitude_of_each_element():
    h = numeric.steps(np.array([1e-3, 1.0, 1e3]))
    assert h[2] / h[1] == pytest.approx(1e3)
    assert h[0] == h[1]  # near zero the step stays at the floor, never zero


def test_steps_of_an_array_of_tiny_values_are_tiny_too():
    h = numeric.steps(np.array([1e-4, -2e-4, 1e-4]))
    assert h.max() < 1e-8


@pytest.mark.parametrize("where", [0.0, 0.3, -0.7], ids=["kink-at-centre", "kink-right", "kink-left"])
def test_probe_calls_a_relu_kink_inside_the_stencil_a_kink(where):
    h = 1e-6
    x0 = -where * h

    def relu_at(delta: float) -> np.ndarray:
        return np.maximum(np.array([x0 + delta]), 0.0)

    p = numeric.probe(relu_at, np.ones(1), h, discrepancy=0.5)
    assert p.kink


def test_probe_does_not_call_a_smooth_function_a_kink_and_refines_its_derivative():
    h = 1e-4

    def sin_at(delta: float) -> np.ndarray:
        return np.sin(np.array([0.4 + delta]))

    p = numeric.probe(sin_at, np.ones(1), h, discrepancy=0.1)
    assert not p.kink
    assert p.refined == pytest.approx(np.cos(0.4), rel=1e-10)
