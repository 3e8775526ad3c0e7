"""CS231n assignment 1's linear classifiers: `svm_loss_naive/vectorized(W, X, y, reg)` and
`softmax_loss_naive/vectorized(W, X, y, reg)` return (loss, dW); dW is checked against the function's own loss,
in either published regularisation convention, and a wrong regularisation term is named as such."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL, PASS
from gradlab.grading.forward_reference import check_forward, reference_output
from gradlab.kinds import KINDS, build_case


def svm_loss_naive(W, X, y, reg):
    """The 2016 convention: 0.5 * reg * sum(W**2), dW += reg * W."""
    dW = np.zeros(W.shape)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        for j in range(W.shape[1]):
            if j == y[i]:
                continue
            margin = scores[j] - scores[y[i]] + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= X.shape[0]
    dW /= X.shape[0]
    loss += 0.5 * reg * np.sum(W * W)
    dW += reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg, reg_grad=2.0):
    num_train = X.shape[0]
    f = X.dot(W)
    f -= np.max(f, axis=1, keepdims=True)
    p = np.exp(f) / np.sum(np.exp(f), axis=1, keepdims=True)
    loss = np.sum(-np.log(p[np.arange(num_train), y])) / num_train + reg * np.sum(W * W)
    p[np.arange(num_train), y] -= 1
    return loss, X.T.dot(p) / num_train + reg_grad * reg * W


def test_a_linear_svm_in_the_half_reg_convention_passes_and_is_recognised_by_its_name():
    entry = entry_for(svm_loss_naive)
    assert entry.kind == "linear_svm"
    report = check_entry(entry, examples=25, seed=0)
    assert report.verdict == PASS and set(report.worst) == {"dW"}


def test_a_linear_softmax_in_the_full_reg_convention_passes():
    report = check_entry(entry_for(softmax_loss_vectorized), examples=25, seed=1)
    assert report.verdict == PASS


@pytest.mark.parametrize("reg_grad, code, said", [(0.0, "dropped-term", "lacks the regularisation's gradient"),
                                                  (1.0, "scaled", "must use the same convention")])
def test_a_wrong_regularisation_term_in_dW_is_named_as_one(reg_grad, code, said):
    def softmax_loss_vectorized(W, X, y, reg):  # named as CS231n names it
        return globals()["softmax_loss_vectorized"](W, X, y, reg, reg_grad=reg_grad)

    report = check_entry(entry_for(softmax_loss_vectorized), examples=25, seed=0)
    assert report.verdict == FAIL and report.bug_codes == [code]
    assert report.failing is not None and report.failing.spec["reg"] != 0
    assert said in report.failing.gradients[0].diagnosis


@pytest.mark.parametrize("name", ["linear_svm", "linear_softmax"])
def test_the_grader_accepts_both_regularisation_conventions_and_rejects_a_forgotten_one(name):
    kind = KINDS[name]
    case = build_case(kind, {"N": 4, "D": 3, "C": 3, "reg": 0.5, "labels": "index", "seed": 2})
    full = reference_output(kind, case)
    half = full - 0.25 * np.sum(case.params["W"] ** 2)
    unregularised = full - 0.5 * np.sum(case.params["W"] ** 2)
    assert check_forward(kind, case, full).ok and check_forward(kind, case, half).ok
    assert not check_forward(kind, case, unregularised).ok
