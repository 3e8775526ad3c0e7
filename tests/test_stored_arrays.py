"""A gradient computed with one array the forward kept where another belongs is `wrong-input`, whatever the kind:
the layer, with the first array's values replaced by the second's after its forward, returns the true gradient
(`gradlab.core.stored_arrays`). Each bug is next to a correct twin that must pass, and a bug of another kind that
the substitution must not claim."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL, PASS


def check(layer, backward=None, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=15, seed=0)


def sentences(report) -> str:
    return " ".join(g.diagnosis for g in report.failing.gradients if not g.passed)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class SoftmaxWithLoss:
    """The textbook's class; `reads` is the array backward's dx is built from (`probs` is right)."""

    reads = "probs"
    factor = 1.0

    def forward(self, x, t):
        self.t, self.logits = t, x
        self.probs = _softmax(x)
        n = x.shape[0]
        return -np.sum(t * np.log(self.probs + 1e-12)) / n

    def backward(self, dout=1):
        n = self.t.shape[0]
        return self.factor * dout * (getattr(self, self.reads) - self.t) / n


class SoftmaxWithLossRight(SoftmaxWithLoss):
    pass


class SoftmaxWithLossReadsLogits(SoftmaxWithLoss):
    reads = "logits"


class SoftmaxWithLossHalved(SoftmaxWithLoss):
    factor = 0.5


def test_a_softmax_loss_whose_dx_reads_the_logits_where_the_probabilities_belong_is_wrong_input_by_their_names():
    wrong = check(SoftmaxWithLossReadsLogits, kind="softmax_with_loss")
    assert wrong.bug_codes == ["wrong-input"], (wrong.bug_codes, sentences(wrong))
    assert "self.logits where self.probs belongs" in sentences(wrong)
    # it takes one-hot labels only, which is warned of; its gradients pass
    assert check(SoftmaxWithLossRight, kind="softmax_with_loss").verdict != FAIL


def test_a_constant_factor_is_not_taken_for_a_misread_array():
    halved = check(SoftmaxWithLossHalved, kind="softmax_with_loss")
    assert "wrong-input" not in halved.bug_codes, sentences(halved)
    assert halved.bug_codes[0] == "scaled"


def _sigmoid_pair(reads_input: bool):
    def sigmoid_forward(x):
        s = 1.0 / (1.0 + np.exp(-x))
        return s, (x, s)

    def sigmoid_backward(dout, cache):
        inp, sig = cache
        at = inp if reads_input else sig
        return dout * at * (1.0 - at)

    return sigmoid_forward, sigmoid_backward


def _layernorm_pair(dgamma_from_centred: bool):
    """CS231n-style layer norm whose cache is unpacked by name; `dgamma_from_centred` reads the centred input
    where the normalised one belongs."""

    def layernorm_forward(x, gamma, beta, ln_param):
        centred = x - x.mean(axis=1, keepdims=True)
        inv = 1.0 / np.sqrt((centred ** 2).mean(axis=1, keepdims=True) + ln_param.get("eps", 1e-5))
        normed = centred * inv
        return gamma * normed + beta, (normed, centred, inv, gamma)

    def layernorm_backward(dout, cache):
        normed, centred, inv, gamma = cache
        d = dout.shape[1]
        dbeta = dout.sum(axis=0)
        dgamma = (dout * (centred if dgamma_from_centred else normed)).sum(axis=0)
        g = dout * gamma
        dx = inv / d * (d * g - g.sum(axis=1, keepdims=True) - normed * (g * normed).sum(axis=1, keepdims=True))
        return dx, dgamma, dbeta

    return layernorm_forward, layernorm_backward


def test_a_function_whose_dgamma_reads_the_centred_input_is_wrong_input():
    wrong = check(*_layernorm_pair(True), kind="layernorm")
    assert wrong.bug_codes == ["wrong-input"], (wrong.bug_codes, sentences(wrong))
    assert check(*_layernorm_pair(False), kind="layernorm").verdict == PASS


def _softmax_pair(reads_logits: bool):
    def softmax_forward(x):
        probs = _softmax(x)
        return probs, (x, probs)

    def softmax_backward(dout, cache):
        logits, probs = cache
        inner = (dout * (logits if reads_logits else probs)).sum(axis=1, keepdims=True)
        return probs * (dout - inner)

    return softmax_forward, softmax_backward


def test_a_function_is_said_in_the_names_its_backward_unpacks_the_cache_into():
    wrong = check(*_softmax_pair(True), kind="softmax")
    assert wrong.bug_codes == ["wrong-input"], (wrong.bug_codes, sentences(wrong))
    assert "dx reads logits where probs belongs" in sentences(wrong)
    assert check(*_softmax_pair(False), kind="softmax").verdict == PASS


def test_asking_the_substitution_leaves_the_case_input_unchanged():
    """The forward's cache may hold the case's own input (CS231n's cache = (x, ...)): a value written into it for
    the question is put back, so the check's later questions and the reported case see the input unchanged."""
    fwd, bwd = _sigmoid_pair(True)
    seen = []

    def recording_backward(dout, cache):
        seen.append(cache[0].copy())
        return bwd(dout, cache)

    recording_backward.__name__ = "sigmoid_backward"
    check(fwd, recording_backward, kind="sigmoid")
    # the extreme case (inputs beyond exp's overflow, finiteness only) runs once before the drawn cases: not asked
    drawn = [s for s in seen if np.abs(s).max() < 700]
    firsts = [s for s in drawn if s.shape == drawn[0].shape]
    # every backward on the first case after the questions sees the first case's input again
    assert any(np.array_equal(firsts[0], s) for s in firsts[1:])
