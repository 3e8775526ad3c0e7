"""Any function at chosen inputs: assert_backward(forward, backward, inputs=, params=), check_grad, numeric_gradient."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import check_grad as scipy_check_grad

import gradlab
from gradlab.functions.pair import check_backward

C = 0.7978845608028654  # sqrt(2 / pi)


def gelu_forward(x):
    t = np.tanh(C * (x + 0.044715 * x**3))
    return 0.5 * x * (1 + t), (x, t)


def gelu_backward(dout, cache):
    x, t = cache
    dt = (1 - t**2) * C * (1 + 3 * 0.044715 * x**2)
    return dout * (0.5 * (1 + t) + 0.5 * x * dt)


def gelu_backward_without_the_product_rule(dout, cache):
    x, t = cache
    return dout * 0.5 * (1 + t)


def attention_forward(q, k, v):
    s = q @ k.T / np.sqrt(q.shape[1])
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return p @ v, (q, k, v, p)


def attention_backward(dout, cache):
    q, k, v, p = cache
    dv = p.T @ dout
    dp = dout @ v.T
    ds = p * (dp - (dp * p).sum(axis=1, keepdims=True)) / np.sqrt(q.shape[1])
    return {"q": ds @ k, "k": ds.T @ q, "v": dv}


def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def affine_backward_mean(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_a_correct_gelu_passes_at_the_inputs_given(rng):
    report = gradlab.assert_backward(gelu_forward, gelu_backward, inputs={"x": rng.standard_normal((4, 3))})
    assert report.verdict == "pass" and report.gradients["x"].max_rel_error < 1e-6


def test_a_gelu_missing_a_product_rule_term_fails_with_a_bug_code_and_the_report(rng):
    with pytest.raises(gradlab.GradientCheckError) as info:
        gradlab.assert_backward(gelu_forward, gelu_backward_without_the_product_rule,
                                inputs={"x": rng.standard_normal((4, 3))})
    report = info.value.report
    assert report.gradients["x"].bug_code == "dropped-term"
    assert "FAIL gelu_forward" in str(info.value) and "dx" in str(info.value)


def test_attention_with_gradients_as_a_dict_is_right_for_every_input(rng):
    q, k, v = (rng.standard_normal(s) for s in ((3, 4), (5, 4), (5, 2)))
    report = check_backward(attention_forward, attention_backward, inputs={"q": q, "k": k, "v": v})
    assert report.verdict == "pass", report.explain()
    assert list(report.gradients) == ["q", "k", "v"]


def test_a_tuple_is_read_in_the_order_inputs_then_params_and_only_the_wrong_one_is_blamed(rng):
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    report = check_backward(affine_forward, affine_backward_mean, inputs={"x": x}, params={"W": W, "b": b})
    verdicts = {k: (g.passed, g.bug_code) for k, g in report.gradients.items()}
    assert verdicts == {"x": (True, None), "W": (False, "extra-batch-mean"), "b": (True, None)}


def test_labels_are_constants_and_a_scalar_loss_gets_dout_of_one(rng):
    x, y = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)

    def hinge(x, y):
        margins = np.maximum(0, x - x[np.arange(4), y][:, None] + 1.0)
        margins[np.arange(4), y] = 0
        return margins.sum() / 4, (x, y, margins)

    def hinge_backward(dout, cache):
        x, y, margins = cache
        d = (margins > 0).astype(float)
        d[np.arange(4), y] = -d.sum(axis=1)
        return dout * d / 4

    report = check_backward(hinge, hinge_backward, inputs={"x": x, "y": y})
    assert report.verdict == "pass" and list(report.gradients) == ["x"]


def test_writing_into_an_input_fails_and_writing_into_dout_warns(rng):
    def relu_forward(x):
        x[x < 0] = 0  # the bug: the caller's x is changed
        return x.copy(), x

    def relu_backward(dout, x):
        dout[x <= 0] = 0
        return dout

    report = check_backward(relu_forward, relu_backward, inputs={"x": rng.standard_normal((3, 4))})
    codes = {(f.code, f.severity) for f in report.findings}
    assert ("mutates-input", "fail") in codes and ("mutates-input", "warn") in codes


@pytest.mark.parametrize("call, error, message", [
    (lambda: check_backward(gelu_forward, gelu_backward, inputs=[1.0]), TypeError, "dict of name"),
    (lambda: check_backward(gelu_forward, None, inputs={"x": [1.0]}), TypeError, "not callable"),
    (lambda: check_backward(gelu_forward, gelu_backward, inputs={}), ValueError, "at least one array"),
    (lambda: check_backward(gelu_forward, gelu_backward, inputs={"x": [1]}), ValueError, "no float array"),
    (lambda: check_backward(affine_forward, affine_backward_mean, inputs={"x": [1.0]}, params={"x": [1.0]}),
     ValueError, "both inputs and params"),
    (lambda: gradlab.assert_backward(gelu_forward, inputs={"x": [1.0]}), TypeError, "its backward"),
], ids=["inputs-not-a-dict", "backward-not-callable", "nothing-given", "only-integers", "name-twice",
        "no-backward"])
def test_a_bad_call_is_refused_before_any_work_with_what_to_pass(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_backward_that_raises_or_returns_too_few_gradients_is_crashed_in_one_line(rng):
    x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal(5)
    short = check_backward(affine_forward, lambda d, c: (d @ c[1].T, c[0].T @ d), inputs={"x": x},
                           params={"W": W, "b": b})
    assert short.bug_codes == ["crashed"] and "order inputs then params" in short.explain()
    raising = check_backward(affine_forward, lambda d, c: 1 / 0, inputs={"x": x}, params={"W": W, "b": b})
    assert "backward raised ZeroDivisionError" in raising.explain()


def f(x, a):
    return np.sum(np.sin(x) * a) + x[0] ** 3


def grad_f(x, a):
    g = np.cos(x) * a
    g[0] += 3 * x[0] ** 2
    return g


@pytest.mark.parametrize("x0", [[0.3, -1.2, 2.0, 0.0], [1e9, -3.0], [0.5]])
def test_check_grad_returns_scipys_float_for_the_same_inputs(x0):
    assert gradlab.check_grad(f, grad_f, x0, 2.0) == scipy_check_grad(f, grad_f, x0, 2.0)


def test_check_grad_returns_scipys_float_along_a_random_direction_and_for_a_vector_function():
    x0 = np.array([0.3, -1.2, 2.0])
    for rng in (3, np.random.default_rng(5)):
        ours = gradlab.check_grad(f, grad_f, x0, 2.0, direction="random", rng=rng)
        theirs = scipy_check_grad(f, grad_f, x0, 2.0, direction="random",
                                  rng=rng if isinstance(rng, int) else np.random.default_rng(5))
        assert ours == theirs

    def F(x):
        return np.array([x[0] ** 2, x[0] * x[1]])

    def J(x):
        return np.array([[2 * x[0], 0.0], [x[1], x[0]]])

    assert gradlab.check_grad(F, J, [1.5, -2.0]) == scipy_check_grad(F, J, [1.5, -2.0])


def test_check_grad_explained_names_the_bug_scipys_float_cannot():
    def half_grad(x, a):
        return grad_f(x, a) / 2

    x0 = [0.3, -1.2, 2.0]
    assert gradlab.check_grad(f, half_grad, x0, 2.0) > 0.1
    report = gradlab.check_grad(f, half_grad, x0, 2.0, explain=True)
    assert report.verdict == "fail" and report.gradients["x"].bug_code == "scaled"
    assert gradlab.check_grad(f, grad_f, x0, 2.0, explain=True).verdict == "pass"


def test_numeric_gradient_differentiates_in_place_and_restores_x_exactly(rng):
    W = rng.standard_normal((3, 4))
    before = W.copy()
    seen = []

    def loss(_):  # CS231n's habit: ignore the argument, read the array itself
        seen.append(W[0, 0])
        return float(np.sum(W**3))

    g = gradlab.numeric_gradient(loss, W)
    assert np.allclose(g, 3 * before**2, rtol=1e-7) and np.array_equal(W, before)
    assert len(set(seen)) > 1  # the array itself moved


def test_numeric_gradient_of_an_array_output_needs_the_upstream_gradient(rng):
    x = rng.standard_normal((2, 3))
    with pytest.raises(ValueError, match="not a scalar; pass upstream=dout"):
        gradlab.numeric_gradient(np.tanh, x)
    G = rng.standard_normal((2, 3))
    assert np.allclose(gradlab.numeric_gradient(np.tanh, x, upstream=G), G * (1 - np.tanh(x) ** 2), rtol=1e-7)


def test_a_large_array_is_checked_by_projection_and_element_wise_only_when_that_disagrees(rng):
    x = rng.standard_normal((40, 30))

    def tanh_forward(x):
        return np.tanh(x), x

    right = check_backward(tanh_forward, lambda d, x: d * (1 - np.tanh(x) ** 2), inputs={"x": x})
    assert right.verdict == "pass" and right.gradients["x"].method.startswith("projection")
    wrong = check_backward(tanh_forward, lambda d, x: d * (1 - np.tanh(x)), inputs={"x": x})
    assert wrong.verdict == "fail" and wrong.gradients["x"].method == "elementwise"
    assert wrong.gradients["x"].worst_index is not None
