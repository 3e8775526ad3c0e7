"""The checker on one case: values, structure, kinks, crashes. Layers are written inline, student style."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.conventions.adapters import adapt
from gradlab.core.check import check_case
from gradlab.conventions.discover import entry_for
from gradlab.kinds import KINDS, build_case
from gradlab.core.results import FAIL, PASS, WARN


def run(layer, backward=None, *, kind=None, **spec):
    entry = entry_for(layer, backward, kind=kind)
    k = KINDS[entry.kind]
    full = {"N": 3, "seed": 1, "scale": 1.0, **spec}
    case = build_case(k, full)
    return check_case(lambda c: adapt(entry, k, c), k, case, name=entry.name, convention=entry.convention)


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


AFFINE = {"in_shape": (4,), "out": 3}


def test_a_correct_affine_layer_passes_with_tiny_errors():
    result = run(Affine, **AFFINE)
    assert result.verdict == PASS
    assert {g.name for g in result.gradients} == {"dx", "dW", "db"}
    assert max(g.max_rel_error for g in result.gradients) < 1e-6


def test_a_forward_that_writes_into_x_fails_as_mutates_input():
    class Relu:
        def forward(self, x):
            self.mask = x <= 0
            x[self.mask] = 0
            return x

        def backward(self, dout):
            return dout * ~self.mask

    result = run(Relu, kind="relu", shape=(4,))
    assert result.verdict == FAIL
    assert "mutates-input" in result.bug_codes


def test_a_backward_that_writes_into_dout_only_warns():
    class Relu:
        def forward(self, x):
            self.mask = x <= 0
            out = x.copy()
            out[self.mask] = 0
            return out

        def backward(self, dout):
            dout[self.mask] = 0
            return dout

    result = run(Relu, shape=(5,))
    assert result.verdict == WARN
    assert result.bug_codes == []
    assert "dout" in result.warnings[0].message


def test_a_backward_that_updates_the_weights_fails_as_stale_parameters():
    class Affine2(Affine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.W -= 0.1 * self.dW
            return dx

    result = run(Affine2, kind="affine", **AFFINE)
    assert "stale-parameters" in result.bug_codes


def test_a_backward_that_accumulates_between_calls_is_caught_by_calling_it_twice():
    class Affine3(Affine):
        dW = 0

        def backward(self, dout):
            self.dW = self.dW + self.x.T @ dout
            self.db = dout.sum(axis=0)
            return dout @ self.W.T

    result = run(Affine3, kind="affine", **AFFINE)
    assert result.verdict == FAIL
    assert any("second backward" in f.message for f in result.findings)


def test_an_affine_layer_that_mixes_samples_fails_as_couples_samples():
    class Affine4(Affine):
        def forward(self, x):
            self.x = x
            return (x - x.mean(axis=0)) @ self.W + self.b

        def backward(self, dout):
            self.dW = (self.x - self.x.mean(axis=0)).T @ dout
            self.db = dout.sum(axis=0)
            g = dout @ self.W.T
            return g - g.mean(axis=0)

    result = run(Affine4, kind="affine", **AFFINE)
    assert result.bug_codes == ["couples-samples"]
    assert all(g.passed for g in result.gradients)  # its gradients are right; the mixing is the bug


class ReluMaskMadeOnce:
    """A ReLU whose mask is made by its first forward only: right for the first batch, wrong after."""

    mask = None

    def forward(self, x):
        if self.mask is None:
            self.mask = x > 0
        return np.where(x > 0, x, 0.0)

    def backward(self, dout):
        return dout * self.mask


def test_a_layer_that_keeps_what_its_first_forward_computed_is_failed_on_a_later_batch():
    result = run(ReluMaskMadeOnce, kind="relu", shape=(5,))
    assert result.verdict == FAIL
    assert "misrouted" in result.bug_codes


def test_a_layer_that_recomputes_its_mask_at_every_forward_still_passes():
    class Relu(ReluMaskMadeOnce):
        def forward(self, x):
            self.mask = x > 0
            return np.where(self.mask, x, 0.0)

    assert run(Relu, kind="relu", shape=(5,)).verdict == PASS


def test_relu_exactly_at_its_kink_is_not_failed_and_the_kinks_are_counted():
    class Relu:
        def forward(self, x):
            self.mask = x > 0
            return x * self.mask

        def backward(self, dout):
            return dout * self.mask

    entry = entry_for(Relu)
    k = KINDS["relu"]
    case = build_case(k, {"N": 2, "shape": (4,), "seed": 0, "scale": 1.0})
    case.x[0, :2] = 0.0  # right on the kink
    result = check_case(lambda c: adapt(entry, k, c), k, case)
    assert result.verdict == PASS
    assert result.gradients[0].skipped_kinks == 2


def test_a_layer_that_raises_is_reported_as_crashed_with_the_line():
    class Sigmoid:
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x))
            return self.out

        def backward(self, dout):
            return dout * self.outt  # typo

    result = run(Sigmoid, shape=(3,))
    assert result.bug_codes == ["crashed"]
    assert "AttributeError" in result.findings[0].message
    assert "self.outt" in result.findings[0].message


def test_a_gradient_returned_as_a_list_is_reported_as_crashed():
    def relu_forward(x):
        return np.maximum(x, 0), x

    def relu_backward(dout, cache):
        return (dout * (cache > 0)).tolist()

    result = run(relu_forward, relu_backward, shape=(3,))
    assert result.bug_codes == ["crashed"]
    assert "list" in result.findings[0].message


def test_a_constructor_gradlab_cannot_call_gets_a_clear_message():
    class Affine5:
        def __init__(self, input_size, output_size, init_scale):
            pass

        def forward(self, x):
            return x

        def backward(self, dout):
            return dout

    result = run(Affine5, kind="affine", **AFFINE)
    assert result.bug_codes == ["crashed"]
    assert "keeps no parameter" in result.findings[0].message or "needs argument" in result.findings[0].message


def test_softmax_loss_without_max_subtraction_fails_as_non_finite_on_large_logits():
    def softmax_loss(x, y):
        e = np.exp(x)
        p = e / e.sum(axis=1, keepdims=True)
        N = x.shape[0]
        dx = p.copy()
        dx[np.arange(N), y] -= 1
        return -np.log(p[np.arange(N), y]).mean(), dx / N

    with np.errstate(all="ignore"):  # the overflow is the point of this test
        result = run(softmax_loss, C=4, labels="index", scale=1000.0)
    assert result.bug_codes == ["non-finite"]


def test_float32_layers_are_checked_in_float64_without_false_failures():
    class Affine32(Affine):
        def forward(self, x):
            return super().forward(x.astype(np.float32)).astype(np.float32)

    # float32 arithmetic is ~1e-7 relative, so finite differences are noisier (relative errors up to
    # ~1e-3 here, above the float64 rtol): the check must still see the gradients as right
    for seed in range(5):
        result = run(Affine32, kind="affine", seed=seed, **AFFINE)
        assert result.verdict == PASS and result.bug_codes == [] and not result.findings, result.findings
        assert {g.name for g in result.gradients} == {"dx", "dW", "db"}
        assert all(g.passed and g.max_rel_error < 1e-2 for g in result.gradients)


@pytest.mark.parametrize("labels", ["onehot", "index"])
def test_both_label_encodings_reach_a_class_style_loss_layer(labels):
    seen = []

    class SoftmaxWithLoss:
        def forward(self, x, t):
            seen.append(t.ndim)
            if t.ndim == 2:
                t = t.argmax(axis=1)
            self.t = t
            z = x - x.max(axis=1, keepdims=True)
            self.p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            return -np.log(self.p[np.arange(len(t)), t]).mean()

        def backward(self, dout=1):
            d = self.p.copy()
            d[np.arange(len(self.t)), self.t] -= 1
            return dout * d / len(self.t)

    result = run(SoftmaxWithLoss, C=3, labels=labels)
    assert result.verdict == PASS
    assert seen[0] == (2 if labels == "onehot" else 1)


def test_a_backward_that_rebinds_the_weights_to_a_new_array_is_caught_too():
    class Affine6(Affine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.W = self.W - 0.1 * self.dW  # a new array, not an in-place update
            return dx

    result = run(Affine6, kind="affine", **AFFINE)
    assert "stale-parameters" in result.bug_codes
