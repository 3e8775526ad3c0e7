"""Two misnamings found by the held-out injection study (issue 10), each reproduced in the course's conventions:
an accumulation overwritten is a dropped term, also where the overwrite leaves an all-zero gradient at reg = 0
(a linear classifier's `dW = reg * W`) and where the sum runs over time steps into a bias (`db = db_t`)."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL


def _svm_scores_grad(W, X, y):
    """The hinge loss's data term and its gradient, vectorised, as assignment 1 writes it."""
    n = X.shape[0]
    scores = X @ W
    correct = scores[np.arange(n), y][:, None]
    margins = np.maximum(0.0, scores - correct + 1.0)
    margins[np.arange(n), y] = 0.0
    counts = (margins > 0).astype(float)
    counts[np.arange(n), y] = -counts.sum(axis=1)
    return margins.sum() / n, X.T @ counts / n


def svm_loss_vectorized(W, X, y, reg):
    """The penalty's gradient overwrites the data term's: dW is reg * W alone, zero at reg = 0."""
    loss, dW = _svm_scores_grad(W, X, y)
    loss += 0.5 * reg * np.sum(W * W)
    dW = reg * W
    return loss, dW


def softmax_loss_naive(W, X, y, reg):
    """The same overwrite in the loop style, with the full-reg convention (2 * reg * W)."""
    loss = 0.0
    dW = np.zeros_like(W)
    n = X.shape[0]
    for i in range(n):
        s = X[i] @ W
        s = s - s.max()
        p = np.exp(s) / np.exp(s).sum()
        loss -= np.log(p[y[i]])
        p[y[i]] -= 1.0
        dW += np.outer(X[i], p)
    loss = loss / n + reg * np.sum(W ** 2)
    dW /= n
    dW = 2 * reg * W
    return loss, dW


def svm_loss_naive(W, X, y, reg):
    """Near miss: a gradient that is zero at every reg stays zero-gradient."""
    loss, _ = _svm_scores_grad(W, X, y)
    return loss + 0.5 * reg * np.sum(W * W), np.zeros_like(W)


def softmax_loss_vectorized(W, X, y, reg):
    """Near miss: the data term kept and the penalty's gradient forgotten is a dropped term at any reg."""
    n = X.shape[0]
    s = X @ W
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean() + reg * np.sum(W * W)
    p[np.arange(n), y] -= 1.0
    return loss, X.T @ p / n


def test_a_penalty_gradient_that_overwrites_the_data_term_is_a_dropped_term_not_a_zero_gradient():
    for fn in (svm_loss_vectorized, softmax_loss_naive):
        report = check_entry(entry_for(fn), examples=25, seed=0)
        assert report.verdict == FAIL and report.bug_codes == ["dropped-term"], (fn.__name__, report.bug_codes)
        # the case shown is one at a non-zero reg, whose dW is not zero, so that its body explains the header
        assert report.failing is not None and report.failing.spec["reg"] != 0.0
        assert report.failing.gradients[0].bug_code == "dropped-term"


def test_a_linear_classifier_whose_gradient_is_zero_at_every_reg_is_still_a_zero_gradient():
    report = check_entry(entry_for(svm_loss_naive), examples=25, seed=0)
    assert report.bug_codes == ["zero-gradient"]


def test_a_linear_classifier_that_forgets_the_penalty_gradient_is_still_a_dropped_term():
    report = check_entry(entry_for(softmax_loss_vectorized), examples=25, seed=0)
    assert report.bug_codes == ["dropped-term"]


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN over a sequence, CS231n style: x (N, T, D), h0 (N, H); the cache keeps every state."""
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]))
    prev = h0
    for t in range(T):
        prev = np.tanh(x[:, t] @ Wx + prev @ Wh + b)
        h[:, t] = prev
    return h, (x, h0, Wx, Wh, h)


def _rnn_backward(dh, cache, *, keep_last_db=False, double_db=False, keep_last_dWh=False):
    x, h0, Wx, Wh, h = cache
    N, T, _ = x.shape
    dx, dWx, dWh, db = np.zeros_like(x), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[0])
    dprev = np.zeros_like(h0)
    for t in reversed(range(T)):
        prev = h[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dprev) * (1 - h[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        if keep_last_dWh:
            dWh = prev.T @ da
        else:
            dWh += prev.T @ da
        step_db = da.sum(axis=0) * (2.0 if double_db else 1.0)
        if keep_last_db:
            db = step_db
        else:
            db += step_db
        dprev = da @ Wh.T
    return dx, dprev, dWx, dWh, db


def _rnn_entry(**bug):
    def rnn_backward(dh, cache):
        return _rnn_backward(dh, cache, **bug)
    return entry_for(rnn_forward, rnn_backward)


def test_an_rnn_whose_bias_gradient_keeps_one_time_steps_share_is_a_dropped_term_not_a_mismatch():
    report = check_entry(_rnn_entry(keep_last_db=True), examples=15, seed=0)
    assert report.bug_codes == ["dropped-term"], report.bug_codes
    failing = [g for g in report.failing.gradients if not g.passed]
    assert [g.name for g in failing] == ["db"] and "share of time step 0" in failing[0].diagnosis


def test_a_correct_rnn_passes_and_its_bias_reading_stays_silent():
    assert check_entry(_rnn_entry(), examples=15, seed=0).verdict != FAIL


def test_an_rnn_whose_bias_share_is_doubled_at_every_step_is_not_read_as_one_steps_share():
    report = check_entry(_rnn_entry(double_db=True), examples=15, seed=0)
    assert report.verdict == FAIL and "dropped-term" not in report.bug_codes, report.bug_codes


def test_an_rnn_whose_dWh_keeps_one_steps_share_is_still_a_dropped_term():
    report = check_entry(_rnn_entry(keep_last_dWh=True), examples=15, seed=0)
    assert report.bug_codes == ["dropped-term"], report.bug_codes


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


class GRU:
    """The textbook's GRU step (gates z, r and the candidate, columns in that order); `overwrite` names the path
    whose `+=` is written `=`, to check that the paths before it are named as lost."""

    overwrite = None

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        H = Wh.shape[0]
        z = _sigmoid(x @ Wx[:, :H] + h_prev @ Wh[:, :H] + b[:H])
        r = _sigmoid(x @ Wx[:, H:2 * H] + h_prev @ Wh[:, H:2 * H] + b[H:2 * H])
        h_hat = np.tanh(x @ Wx[:, 2 * H:] + (r * h_prev) @ Wh[:, 2 * H:] + b[2 * H:])
        self.cache = (x, h_prev, z, r, h_hat)
        return (1 - z) * h_prev + z * h_hat

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        H = Wh.shape[0]
        x, h_prev, z, r, h_hat = self.cache
        dt = dh_next * z * (1 - h_hat ** 2)
        dhr = dt @ Wh[:, 2 * H:].T
        dr_pre = dhr * h_prev * r * (1 - r)
        dz_pre = dh_next * (h_hat - h_prev) * z * (1 - z)
        dh_prev = dh_next * (1 - z)
        if self.overwrite == "r * dhr":
            dh_prev = r * dhr
        else:
            dh_prev += r * dhr
        dh_prev += dz_pre @ Wh[:, :H].T + dr_pre @ Wh[:, H:2 * H].T
        dx = dt @ Wx[:, 2 * H:].T
        if self.overwrite == "dz @ Wxz.T":
            dx = dz_pre @ Wx[:, :H].T
        else:
            dx += dz_pre @ Wx[:, :H].T
        dx += dr_pre @ Wx[:, H:2 * H].T
        da = np.hstack([dz_pre, dr_pre, dt])
        self.grads[0][...] = x.T @ da
        self.grads[1][...] = np.hstack([h_prev.T @ dz_pre, h_prev.T @ dr_pre, (r * h_prev).T @ dt])
        self.grads[2][...] = da.sum(axis=0)
        return dx, dh_prev


def _gru(overwrite):
    return type("GRU", (GRU,), {"overwrite": overwrite})


def test_a_gru_step_whose_sum_over_paths_is_overwritten_is_a_dropped_term_naming_the_lost_paths():
    for overwrite, grad, lost in (("r * dhr", "dprev_h", "dh_next * (1 - z)"), ("dz @ Wxz.T", "dx", "dt @ Wx.T")):
        report = check_entry(entry_for(_gru(overwrite)), examples=15, seed=0)
        assert report.bug_codes == ["dropped-term"], (overwrite, report.bug_codes)
        failing = [g for g in report.failing.gradients if not g.passed]
        assert [g.name for g in failing] == [grad] and f"lacks {lost}" in failing[0].diagnosis, failing


def test_a_correct_gru_step_passes():
    assert check_entry(entry_for(_gru(None)), examples=15, seed=0).verdict != FAIL
