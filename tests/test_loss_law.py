"""Every deterministic loss obeys one law: the batch's loss is the mean (or the sum) of its samples' losses, each
computed alone. A loss normalised over the batch axis breaks it and is `couples-samples`, in any kind and style,
including when its backward is the exact derivative of the wrong loss (then no gradient shows it). Each bug is
next to a correct twin that must not break the law."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.loss_law import batch_loss_law
from gradlab.core.results import FAIL


def check(layer, backward=None, **kw):
    return check_entry(entry_for(layer, backward, **kw), examples=15, seed=0)


def _softmax_loss(axis: int, consistent: bool):
    """CS231n's linear classifier loss; `axis` is the axis its softmax normalises over (1 is right). A
    `consistent` backward differentiates the loss the forward computes, so that only the law can tell."""

    def softmax_loss_vectorized(W, X, y, reg):
        n = X.shape[0]
        s = X @ W
        e = np.exp(s - s.max(axis=axis, keepdims=True))  # shifted along the axis it normalises over
        p = e / e.sum(axis=axis, keepdims=True)
        loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
        d = p.copy()
        d[np.arange(n), y] -= 1
        if consistent and axis == 0:
            # the exact derivative of the batch-coupled loss: each column's softmax over the samples
            onehot = np.zeros_like(p)
            onehot[np.arange(n), y] = 1
            d = p * onehot.sum(axis=0, keepdims=True) - onehot
        return loss, X.T @ d / n + 2 * reg * W

    return softmax_loss_vectorized


def test_a_linear_classifier_loss_normalised_over_the_batch_is_couples_samples_first():
    report = check(_softmax_loss(0, consistent=False), kind="linear_softmax")
    assert report.verdict == FAIL and report.bug_codes[0] == "couples-samples", report.bug_codes


def test_a_batch_coupled_loss_whose_gradient_is_its_exact_derivative_is_still_failed():
    report = check(_softmax_loss(0, consistent=True), kind="linear_softmax")
    assert report.verdict == FAIL and report.bug_codes == ["couples-samples"], report.bug_codes


def test_the_right_loss_keeps_the_law():
    assert check(_softmax_loss(1, consistent=False), kind="linear_softmax").verdict != FAIL


def test_a_summed_loss_keeps_the_law_and_a_mean_loss_too():
    x, t = np.random.default_rng(0).standard_normal((4, 3)), np.array([0, 2, 1, 1])

    def summed(x, t):
        return float(np.sum((x[np.arange(len(t)), t] - 1.0) ** 2))

    def averaged(x, t):
        return summed(x, t) / len(t)

    def coupled(x, t):
        return averaged(x - x.mean(axis=0), t)

    assert batch_loss_law(summed, x, t) is None
    assert batch_loss_law(averaged, x, t) is None
    code, why = batch_loss_law(coupled, x, t)
    assert code == "couples-samples" and "each computed alone" in why


def test_one_sample_is_joined_by_a_second_so_that_coupling_shows():
    x, t = np.array([[0.5, -1.0, 2.0]]), np.array([1])

    def coupled(x, t):
        e = np.exp(x)
        return float(-np.log(e / e.sum(axis=0))[np.arange(len(t)), t].mean())

    assert batch_loss_law(coupled, x, t) is not None
    assert batch_loss_law(lambda x, t: coupled(x.T.T, t) * 0 + 1.0, x, t) is None


def test_a_loss_that_cannot_take_one_sample_is_not_judged():
    x, t = np.ones((3, 2)), np.array([0, 1, 0])

    def needs_three(x, t):
        if len(x) != 3:
            raise ValueError("batch of three only")
        return 1.0

    assert batch_loss_law(needs_three, x, t) is None


def _softmax_loss_function(gradient_axis: int):
    """CS231n's softmax_loss(x, y) whose loss is right and whose dx normalises over `gradient_axis` (1 is right)."""

    def softmax_loss(x, y):
        n = x.shape[0]
        shifted = x - x.max(axis=1, keepdims=True)
        log_z = np.log(np.exp(shifted).sum(axis=1))
        loss = np.mean(log_z - shifted[np.arange(n), y])
        e = np.exp(shifted)
        dx = e / e.sum(axis=gradient_axis, keepdims=True)
        dx[np.arange(n), y] -= 1
        return loss, dx / n

    return softmax_loss


def test_a_loss_whose_backward_alone_normalises_over_the_batch_is_couples_samples():
    """The loss obeys the law; its dx does not treat samples on their own: sample 0's dx, asked with a second sample
    beside it, is no longer proportional to its dx alone."""
    wrong = check(_softmax_loss_function(0), kind="softmax_with_loss")
    assert wrong.bug_codes[:1] == ["couples-samples"], wrong.bug_codes
    assert check(_softmax_loss_function(1), kind="softmax_with_loss").verdict != FAIL
