"""Embedding cases use the indices a layer is written for: the second volume's class `Embedding` takes one
index per sample, idx (N,), and its loop backward is right there (and only there); `TimeEmbedding` takes
(N, T) and refuses (N,); CS231n's `word_embedding_forward(x, W)` takes x (N, T). Layers written here in
the book's style, not copied."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS
from gradlab.kinds.embedding import build


class Embedding:
    """One row of W per sample; backward accumulates row by row in a Python loop."""

    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        for n, row in enumerate(self.idx):  # row is one id for idx (N,): a repeated id adds up
            dW[row] += dout[n]


class EmbeddingLoopAssigns(Embedding):
    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        for n, row in enumerate(self.idx):
            dW[row] = dout[n]  # BUG: a second sample with the same id overwrites the first


class TimeEmbedding:
    """(N, T) ids, one loop Embedding per step; `N, T = xs.shape` refuses (N,) ids."""

    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]
        self.steps: list[Embedding] = []

    def forward(self, xs):
        N, T = xs.shape
        self.steps = [Embedding(self.params[0]) for _ in range(T)]
        return np.stack([step.forward(xs[:, t]) for t, step in enumerate(self.steps)], axis=1)

    def backward(self, dout):
        total = np.zeros_like(self.params[0])
        for t, step in enumerate(self.steps):
            step.backward(dout[:, t])
            total += step.grads[0]
        self.grads[0][...] = total


class TimeEmbeddingLastStepOnly(TimeEmbedding):
    def backward(self, dout):
        for t, step in enumerate(self.steps):
            step.backward(dout[:, t])
            self.grads[0][...] = step.grads[0]  # BUG: each step's rows overwrite the ones before


def word_embedding_forward(x, W):
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    np.add.at(dW, x, dout)
    return dW


def word_embedding_backward_by_sample(dout, cache):
    x, shape = cache
    dW = np.zeros(shape)
    for n, ids in enumerate(x):
        dW[ids] += dout[n]  # BUG: x is (N, T); an id twice in one row is added once
    return dW


def test_the_loop_embedding_on_one_index_per_sample_passes():
    report = check_entry(entry_for(Embedding), examples=20, seed=0)
    assert report.verdict == PASS, report.bug_codes


def test_a_loop_embedding_that_assigns_rows_fails_as_a_dropped_term():
    report = check_entry(entry_for(EmbeddingLoopAssigns, kind="embedding"), examples=20, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["dropped-term"], report.bug_codes


class EmbeddingOfSequences(Embedding):
    """The same loop backward, in a class that takes (N, T) ids only."""

    def forward(self, idx):
        if idx.ndim != 2:
            raise ValueError("idx must be (N, T)")
        return super().forward(idx)


def test_the_same_loop_on_sequences_of_indices_fails_so_the_pass_comes_from_the_indices_drawn():
    report = check_entry(entry_for(EmbeddingOfSequences, kind="embedding"), examples=20, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["dropped-term"], report.bug_codes


def test_a_spec_without_a_step_count_builds_one_index_per_sample():
    case = KINDS["embedding"].case({"N": 4, "V": 3, "D": 2, "seed": 1})
    assert case.x.shape == (4,) and case.x.dtype.kind == "i"


def test_a_time_embedding_that_refuses_one_index_per_sample_is_checked_on_sequences_and_passes():
    report = check_entry(entry_for(TimeEmbedding), examples=20, seed=0)
    assert report.verdict == PASS, report.bug_codes


def test_a_time_embedding_that_keeps_only_the_last_step_fails():
    report = check_entry(entry_for(TimeEmbeddingLastStepOnly, kind="embedding"), examples=20, seed=0)
    assert report.verdict == FAIL, report.bug_codes


def test_a_cs231n_word_embedding_is_still_checked_on_sequences_of_indices():
    right = check_entry(entry_for(word_embedding_forward, word_embedding_backward), examples=20, seed=0)
    assert right.verdict == PASS, right.bug_codes
    # the loop by sample is right on (N,) ids only: it fails here because x is drawn (N, T)
    loop = check_entry(entry_for(word_embedding_forward, word_embedding_backward_by_sample), examples=20, seed=0)
    assert loop.verdict == FAIL and loop.bug_codes == ["dropped-term"], loop.bug_codes


def test_a_spec_with_a_step_count_builds_index_sequences():
    case = build({"N": 3, "V": 4, "D": 2, "T": 5}, np.random.default_rng(0))
    assert case.x.shape == (3, 5)
