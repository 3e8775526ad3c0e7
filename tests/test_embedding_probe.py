"""Which indices an embedding class is written for, (N,) or (N, T), is read from its forward AND its backward: a
compact second-volume `TimeEmbedding` whose forward is `W[xs]` takes (N,) indices there, while its backward's
`xs.shape[1]` does not. Probed on the forward alone, it was checked on (N,) and failed `crashed` though right."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.grading.assignment import parse_assignment
from gradlab.grading.grader import grade_submission
from gradlab.grading.sandbox import jail

JAIL_PROBLEM = jail.probe()

TIME_EMBEDDING = """
    import numpy as np


    class TimeEmbedding:
        def __init__(self, W):
            self.params = [W]
            self.grads = [np.zeros_like(W)]

        def forward(self, xs):
            self.xs = xs
            return self.params[0][xs]

        def backward(self, dout):
            dW, = self.grads
            dW[...] = 0
            for t in range(self.xs.shape[1]):
                np.{add}(dW, self.xs[:, t], dout[:, t, :])
"""
RIGHT, BUGGY = "add.at", "put"  # np.put(dW, ids, rows) writes the flat table, no accumulation: wrong


def _report(tmp_path: Path, add: str):
    path = tmp_path / "time_layers.py"
    path.write_text(textwrap.dedent(TIME_EMBEDDING.format(add=add)))
    outcome = check_paths([path], examples=6, seed=0)
    assert outcome.errors == []
    (report,) = outcome.reports
    return report


def test_a_time_embedding_indexing_w_directly_is_checked_on_sequences_and_passes(tmp_path):
    report = _report(tmp_path, RIGHT)
    assert report.verdict == "pass", report.bug_codes


def test_its_twin_that_does_not_accumulate_still_fails(tmp_path):
    report = _report(tmp_path, BUGGY)
    assert report.verdict == "fail" and "crashed" not in report.bug_codes


@pytest.mark.skipif(JAIL_PROBLEM is not None, reason=f"bubblewrap cannot run here: {JAIL_PROBLEM}")
def test_the_grader_probes_the_backward_too(tmp_path):
    path = tmp_path / "time_layers.py"
    path.write_text(textwrap.dedent(TIME_EMBEDDING.format(add=RIGHT)))
    assignment = parse_assignment({"name": "embedding", "convention": "class", "seed": 1, "examples": 3,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "TimeEmbedding", "kind": "embedding", "points": 10}]},
                                  "embedding probe test")
    grade = grade_submission(path, assignment)
    assert grade.score == grade.max_score, grade.layers[0].bug_codes
