"""A sign flipped in one term of a gradient (issues 10 and 14) is `sign-flip`, said as where dx has the opposite
sign, and the neighbouring bugs that also leave dx right in part (a dropped term, a missing or inverted mask)
keep their own codes.

The layers are written here, apart from the zoo (`reference/zoo_sign.py`), in both conventions."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab import check_entry, entry_for
from gradlab.core.diagnose import diagnose_values
from gradlab.core.diagnose_sign import flipped_in_part

EXAMPLES = 25


def _report(layer, backward=None, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=EXAMPLES, seed=0)


def _sentence(report) -> str:
    return next(g.diagnosis for g in report.failing.gradients if not g.passed)


def _probabilities(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class CrossEntropy:
    """Softmax and cross-entropy over a batch, labels one-hot or indices; backward is each variant's."""

    def forward(self, x, t):
        self.p = _probabilities(x)
        self.label = t.argmax(axis=1) if t.ndim == 2 else t
        rows = np.arange(x.shape[0])
        return -np.mean(np.log(self.p[rows, self.label]))

    def backward(self, dout=1):
        rows = np.arange(self.p.shape[0])
        grad = self.p.copy()
        grad[rows, self.label] -= 1
        return dout * grad / len(rows)


class CrossEntropyProbabilitiesNegated(CrossEntropy):
    def backward(self, dout=1):
        rows = np.arange(self.p.shape[0])
        grad = np.negative(self.p)
        grad[rows, self.label] -= 1
        return dout * grad / len(rows)


class CrossEntropyTargetAdded(CrossEntropy):
    def backward(self, dout=1):
        rows = np.arange(self.p.shape[0])
        grad = self.p.copy()
        grad[rows, self.label] += 1
        return dout * grad / len(rows)


class CrossEntropyTargetTermDropped(CrossEntropy):
    def backward(self, dout=1):
        return dout * self.p / self.p.shape[0]


def cross_entropy_loss(scores, labels):
    n = scores.shape[0]
    p = _probabilities(scores)
    loss = -np.log(p[np.arange(n), labels]).sum() / n
    d = 0.0 - p
    d[np.arange(n), labels] -= 1.0
    return loss, d / n


def cross_entropy_loss_target_added(scores, labels):
    n = scores.shape[0]
    p = _probabilities(scores)
    loss = -np.log(p[np.arange(n), labels]).sum() / n
    d = p.copy()
    d[np.arange(n), labels] += 1.0
    return loss, d / n


class SoftmaxOuterTermAdded:
    def forward(self, x):
        self.s = _probabilities(x)
        return self.s

    def backward(self, dout):
        inner = np.sum(dout * self.s, axis=1, keepdims=True)
        return self.s * (dout + inner)


class SoftmaxOuterTermDropped(SoftmaxOuterTermAdded):
    def backward(self, dout):
        return self.s * dout


def leaky_relu_forward(x):
    return np.where(x > 0, x, 0.2 * x), x


def leaky_relu_backward(dout, cache):
    slope = np.where(cache > 0, 1.0, -0.2)
    return dout * slope


def tanh_forward(x):
    return np.tanh(x), x


def tanh_backward(dout, cache):
    return dout * (1 - cache ** 2)  # the derivative's formula in y, at x: negative where |x| > 1


class CrossEntropyTargetTwice(CrossEntropy):
    def backward(self, dout=1):
        rows = np.arange(self.p.shape[0])
        grad = self.p.copy()
        grad[rows, self.label] -= 2
        return dout * grad / len(rows)


class ReluWithoutMask:
    def forward(self, x):
        self.x = x
        return np.maximum(x, 0)

    def backward(self, dout):
        return dout + 0.0


class ReluMaskInverted(ReluWithoutMask):
    def backward(self, dout):
        return np.where(self.x > 0, 0.0, dout)


@pytest.mark.parametrize("layer, kw", [
    ((CrossEntropyProbabilitiesNegated,), {"kind": "softmax_with_loss"}),
    ((cross_entropy_loss,), {"kind": "softmax_with_loss"}),
    ((CrossEntropyTargetAdded,), {"kind": "softmax_with_loss"}),
    ((cross_entropy_loss_target_added,), {"kind": "softmax_with_loss"}),
    ((SoftmaxOuterTermAdded,), {"kind": "softmax"}),
    ((leaky_relu_forward, leaky_relu_backward), {}),
], ids=["class softmax-with-loss, probabilities negated", "function softmax loss, probabilities negated",
        "class softmax-with-loss, target's 1 added", "function softmax loss, target's 1 added",
        "softmax, outer product added", "function leaky relu, negative slope negated"])
def test_a_gradient_with_one_term_of_the_wrong_sign_is_a_sign_flip(layer, kw):
    report = _report(*layer, **kw)
    assert report.bug_codes[:1] == ["sign-flip"], (report.bug_codes, _sentence(report))


def test_the_sentence_says_where_dx_has_the_opposite_sign_and_that_one_term_is_flipped():
    sentence = _sentence(_report(CrossEntropyProbabilitiesNegated, kind="softmax_with_loss"))
    assert "dx has the opposite sign at 1 of the 2 elements where the true gradient is not small" in sentence
    assert "one term of dx has its sign flipped" in sentence


@pytest.mark.parametrize("layer, kind, code", [
    (CrossEntropyTargetTermDropped, "softmax_with_loss", "dropped-term"),
    (SoftmaxOuterTermDropped, "softmax", "dropped-term"),
    (ReluWithoutMask, "relu", "missing-mask"),
    (ReluMaskInverted, "relu", "misrouted"),
], ids=["the target's term dropped", "the outer product dropped", "relu without its mask", "relu mask inverted"])
def test_a_bug_that_leaves_dx_right_in_part_without_a_sign_keeps_its_own_code(layer, kind, code):
    report = _report(layer, kind=kind)
    assert report.bug_codes[:1] == [code], (report.bug_codes, _sentence(report))


def test_a_flipped_labels_term_is_said_as_dx_changing_the_wrong_way_with_the_labels():
    sentence = _sentence(_report(CrossEntropyTargetAdded, kind="softmax_with_loss"))
    assert "the part of dx that depends on the labels has the wrong sign" in sentence


def test_a_derivative_at_the_wrong_input_that_changes_sign_where_the_input_is_large_stays_wrong_input():
    report = _report(tanh_forward, tanh_backward)
    assert report.bug_codes[:1] == ["wrong-input"], (report.bug_codes, _sentence(report))


def test_a_labels_term_twice_too_large_is_not_called_a_sign_flip():
    report = _report(CrossEntropyTargetTwice, kind="softmax_with_loss")
    assert report.verdict == "fail" and "sign-flip" not in report.bug_codes, (report.bug_codes, _sentence(report))


# --- a layer computing in float32: "exactly" is to the check's float32 tolerance --------------------------

class CrossEntropy32(CrossEntropy):
    def forward(self, x, t):
        return CrossEntropy.forward(self, x.astype(np.float32), t)


class CrossEntropy32ProbabilitiesNegated(CrossEntropy32):
    backward = CrossEntropyProbabilitiesNegated.backward


class CrossEntropy32TargetAdded(CrossEntropy32):
    backward = CrossEntropyTargetAdded.backward


class CrossEntropy32Doubled(CrossEntropy32):
    def backward(self, dout=1):
        return 2 * CrossEntropy.backward(self, dout)


def softmax_loss_over_the_batch_in_float32(x, y):
    x = x.astype(np.float32)
    n = x.shape[0]
    p = np.exp(x - x.max(axis=0, keepdims=True))
    p /= p.sum(axis=0, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).sum() / n
    d = p.copy()
    d[np.arange(n), y] -= 1
    return loss, d / n


@pytest.mark.parametrize("layer, code", [
    (CrossEntropy32ProbabilitiesNegated, "sign-flip"),
    (CrossEntropy32TargetAdded, "sign-flip"),
    (CrossEntropy32Doubled, "scaled"),
    (softmax_loss_over_the_batch_in_float32, "couples-samples"),
], ids=["probabilities negated", "target's 1 added", "twice the gradient", "softmax over the batch axis"])
def test_a_loss_computing_in_float32_gets_the_code_it_gets_in_float64(layer, code):
    report = _report(layer, kind="softmax_with_loss")
    assert report.bug_codes[:1] == [code], (report.bug_codes, _sentence(report))


def test_the_correct_float32_cross_entropy_passes():
    assert _report(CrossEntropy32, kind="softmax_with_loss").verdict != "fail"


def test_the_correct_cross_entropy_written_the_same_way_passes():
    assert _report(CrossEntropy, kind="softmax_with_loss").verdict != "fail"


# --- on arrays alone ----------------------------------------------------------------------------

RNG = np.random.default_rng(11)
N_TRUE = RNG.standard_normal((4, 6)) + np.sign(RNG.standard_normal((4, 6)))  # no element near zero
FLIP = np.zeros((4, 6), dtype=bool)
FLIP[:, :3] = True


def test_exact_negatives_on_half_the_elements_and_wrong_values_elsewhere_are_a_flipped_term():
    a = np.where(FLIP, -N_TRUE, N_TRUE + 0.5)
    found = flipped_in_part("dx", a, N_TRUE, None)
    assert found is not None and found.code == "sign-flip"
    assert "12 of the 24 elements" in found.sentence and "wrong at the others" in found.sentence


def test_values_one_percent_away_from_the_negative_are_not_called_a_flipped_term():
    a = np.where(FLIP, -1.01 * N_TRUE, N_TRUE + 0.5)
    assert flipped_in_part("dx", a, N_TRUE, None) is None


def test_negatives_of_elements_that_are_rounding_noise_prove_nothing():
    n = N_TRUE.copy()
    n[FLIP] = 1e-12
    a = np.where(FLIP, -n, n + 0.5)
    assert flipped_in_part("dx", a, n, None) is None


def test_one_negated_element_among_many_is_not_a_term():
    a = N_TRUE + 0.5
    a[0, 0] = -N_TRUE[0, 0]
    assert flipped_in_part("dx", a, N_TRUE, None) is None


def test_a_wholly_negated_gradient_is_still_named_by_its_factor():
    ok = np.zeros(N_TRUE.shape, dtype=bool)
    d = diagnose_values("dx", -N_TRUE, N_TRUE, ok, 4)
    assert d.code == "sign-flip" and "-1 times the true gradient" in d.sentence
