"""Conventions found in published course code after the big passes over it: each test writes a small
file in the convention as it is published (never a copy of it) and checks gradlab reads it as its
author runs it."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover, entry_for
from gradlab.core.results import FAIL, WARN

# CS231n 2019, assignment 1: `cs231n/` has no __init__.py, `classifiers/` is a package whose files import each
# other absolutely (`from cs231n.classifiers.linear_svm import *`), as the notebook runs them from assignment1/
A1_FILES = {
    "cs231n/classifiers/__init__.py": "from cs231n.classifiers.linear_svm import *\n"
                                      "from cs231n.classifiers.softmax import *\n",
    "cs231n/classifiers/linear_svm.py": '''from builtins import range
import numpy as np
from past.builtins import xrange


def svm_loss_vectorized(W, X, y, reg):
    rows = np.arange(X.shape[0])
    s = X @ W
    margin = np.maximum(0.0, s - s[rows, y][:, None] + 1.0)
    margin[rows, y] = 0.0
    loss = margin.sum() / X.shape[0] + reg * (W ** 2).sum()
    g = (margin > 0).astype(X.dtype)
    g[rows, y] = -g.sum(axis=1)
    return loss, X.T @ g / X.shape[0] + 2 * reg * W
''',
    "cs231n/classifiers/softmax.py": '''import numpy as np
from cs231n.classifiers.linear_svm import *


def softmax_loss_vectorized(W, X, y, reg):
    rows = np.arange(X.shape[0])
    s = X @ W
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[rows, y]).mean() + reg * (W ** 2).sum()
    p[rows, y] -= 1.0
    return loss, X.T @ p / X.shape[0] + 2 * reg * W
''',
}


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_a_2019_assignment_one_whose_cs231n_folder_is_a_namespace_package_is_imported_and_its_losses_found(
        tmp_path):
    folder = _tree(tmp_path / "assignment1", A1_FILES)
    found = discover([folder])
    errors = [f.error for f in found if f.error]
    names = sorted(e.name for f in found for e in f.entries)
    assert errors == []
    assert "svm_loss_vectorized" in names and "softmax_loss_vectorized" in names
    assert "past" not in sys.modules or getattr(sys.modules["past"], "__file__", None)  # no shim left behind


class SoftmaxWithLoss:
    """A learner's first-volume copy: one-hot labels only (index labels broadcast or crash)."""

    def forward(self, x, t):
        self.t = t
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return -np.sum(t * np.log(self.y)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]


class Simple_TimeSoftmaxWithLoss:  # noqa: N801 (the book's name)
    """The second volume's per-step loss built on the one-hot SoftmaxWithLoss above."""

    def forward(self, xs, ts):
        self.layers = [SoftmaxWithLoss() for _ in range(xs.shape[1])]
        return sum(layer.forward(xs[:, t], ts[:, t]) for t, layer in enumerate(self.layers)) / len(self.layers)

    def backward(self, dout=1):
        return np.stack([layer.backward(dout / len(self.layers)) for layer in self.layers], axis=1)


class TimeLossSummedOverSteps(Simple_TimeSoftmaxWithLoss):
    """The same with the 1/T of the mean over steps left out of backward."""

    def backward(self, dout=1):
        return np.stack([layer.backward(dout) for layer in self.layers], axis=1)


def test_a_time_softmax_loss_built_on_a_one_hot_only_softmax_is_checked_with_one_hot_labels_and_says_so():
    report = check_entry(entry_for(Simple_TimeSoftmaxWithLoss), examples=10, seed=0)
    assert report.verdict == WARN, report.bug_codes
    assert "accepts only onehot labels" in str(report.to_dict())


def test_a_time_softmax_loss_with_one_hot_labels_still_has_its_missing_mean_over_steps_caught():
    report = check_entry(entry_for(TimeLossSummedOverSteps, kind="time_softmax_with_loss"), examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["scaled"], report.bug_codes


SIX_MATRIX_GRU = '''import numpy as np


class GRU:
    """A reader's GRU: one matrix per gate and per input, no bias."""

    def __init__(self, Wx_z, Wx_r, Wx_h, Wh_z, Wh_r, Wh_h):
        self.params = [Wx_z, Wx_r, Wx_h, Wh_z, Wh_r, Wh_h]
        self.grads = [np.zeros_like(w) for w in self.params]

    def forward(self, x, h_prev):
        raise NotImplementedError

    def backward(self, dh_next):
        raise NotImplementedError


class TimeGRU:
    def __init__(self, Wx_z, Wx_r, Wx_h, Wh_z, Wh_r, Wh_h, stateful=False):
        self.stateful = stateful

    def forward(self, xs):
        raise NotImplementedError

    def backward(self, dhs):
        raise NotImplementedError
'''


def test_a_gru_with_a_matrix_per_gate_is_skipped_with_the_reason_not_failed_as_crashed(tmp_path):
    (tmp_path / "gru_layers.py").write_text(SIX_MATRIX_GRU)
    found, = discover([tmp_path / "gru_layers.py"])
    assert found.entries == []
    reasons = dict(found.skipped)
    assert set(reasons) == {"GRU", "TimeGRU"}
    assert all("split by gate, 6 arrays" in r and "side by side in Wx and Wh" in r for r in reasons.values()), reasons


class EmbeddingDot:
    """The second volume's word2vec scorer: out[i] = h[i] . W[idx[i]], one number per sample."""

    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, h, idx):
        self.cache = (h, idx)
        return np.sum(self.params[0][idx] * h, axis=1)

    def backward(self, dout):
        h, idx = self.cache
        self.grads[0][...] = 0
        np.add.at(self.grads[0], idx, dout[:, None] * h)
        return dout[:, None] * self.params[0][idx]


def test_embedding_dot_under_the_column_layout_is_refused_in_one_line_before_any_case():
    report = check_entry(entry_for(EmbeddingDot, layout="columns"), examples=5, seed=0)
    assert report.verdict == FAIL and report.examples == 0
    assert "column layout is for 2-D data" in report.error and "one number per sample" in report.error
    assert "\n" not in report.error


def test_embedding_dot_in_rows_is_still_checked_and_passes():
    assert check_entry(entry_for(EmbeddingDot), examples=5, seed=0).verdict == "pass"


class SigmoidWithLoss:
    def forward(self, x, t):
        self.p, self.t = 1 / (1 + np.exp(-x)), t
        return -np.mean(t * np.log(self.p) + (1 - t) * np.log(1 - self.p))

    def backward(self, dout=1):
        return dout * (self.p - self.t) / len(self.t)


class NegativeSamplingLoss:
    """word2vec's loss as the second volume builds it: EmbeddingDot and SigmoidWithLoss per scored word, W listed
    once per EmbeddingDot, negatives drawn with np.random.choice (numpy's global state)."""

    def __init__(self, W, corpus, power=0.75, sample_size=5):
        p = np.bincount(corpus) ** power
        self.p, self.sample_size = p / p.sum(), sample_size
        self.dots = [EmbeddingDot(W) for _ in range(sample_size + 1)]
        self.losses = [SigmoidWithLoss() for _ in range(sample_size + 1)]
        self.params = [d.params[0] for d in self.dots]
        self.grads = [d.grads[0] for d in self.dots]

    def forward(self, h, target):
        negatives = np.random.choice(len(self.p), size=(len(target), self.sample_size), p=self.p)
        words = [target, *negatives.T]
        return sum(loss.forward(dot.forward(h, w), np.full(len(target), int(i == 0)))
                   for i, (w, dot, loss) in enumerate(zip(words, self.dots, self.losses)))

    def backward(self, dout=1):
        dh = 0
        for dot, loss in zip(self.dots, self.losses):
            dh = dh + dot.backward(loss.backward(dout))
        return dh


class NegativeSamplingLossOverwritesDh(NegativeSamplingLoss):
    def backward(self, dout=1):
        for dot, loss in zip(self.dots, self.losses):
            dh = dot.backward(loss.backward(dout))  # h is scored against every word: its gradient sums them all
        return dh


def test_negative_sampling_loss_is_checked_with_its_sampler_drawing_the_same_words_at_every_call():
    report = check_entry(entry_for(NegativeSamplingLoss), examples=10, seed=0)
    assert report.verdict == "pass", report.bug_codes


def test_negative_sampling_loss_whose_dh_keeps_only_the_last_word_is_failed():
    report = check_entry(entry_for(NegativeSamplingLossOverwritesDh, kind="negative_sampling_loss"), examples=10,
                         seed=0)
    assert report.verdict == FAIL


def test_negative_sampling_loss_is_not_a_function_of_its_inputs_without_the_sampler_reset(monkeypatch):
    # the reset is what makes the check valid: drawing new negatives at each finite difference fails a right layer
    import gradlab.kinds as kinds

    monkeypatch.setitem(kinds.KINDS, "negative_sampling_loss",
                        replace(kinds.KINDS["negative_sampling_loss"], stochastic=False))
    assert check_entry(entry_for(NegativeSamplingLoss), examples=10, seed=0).verdict == FAIL
