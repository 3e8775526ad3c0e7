"""Conventions of published code that session 30's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach14/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main

HERE = Path(__file__).parent / "reach14"


def _verdicts(path: Path) -> tuple[dict[str, tuple[str, list[str]]], list[tuple[str, str]]]:
    outcome = check_paths([path], examples=6, seed=0)
    assert outcome.errors == []
    return {r.name: (r.verdict, r.bug_codes) for r in outcome.reports}, outcome.skipped


@pytest.mark.parametrize(("folder", "right", "buggy"), [
    # Dense(units, activation) with set_param(W, b), Linear(n_out) with set_weights([W, b]): set aside as
    # parameter-free namesakes of the affine kind ('takes and keeps no array')
    ("handed_weights", {"Dense": "warn", "Linear": "warn"}, {"Dense": ["extra-batch-mean"], "Linear": ["transposed"]}),
    # Keras' Conv2D(filters, kernel_size, input_shape, stride, pad): `filters` was read as W's array (set aside)
    ("keras_conv", {"Conv2D": "warn"}, {"Conv2D": ["extra-batch-mean"]}),
    # costs called as cost(x, t) with delta(dout=1) for the gradient, named Sigmoid_cross_entropy (on logits) and
    # Sum_squared_error: no layer recognised
    ("delta_losses", {"Sigmoid_cross_entropy": "pass", "Softmax_cross_entropy": "warn", "Sum_squared_error": "pass"},
     {"Sigmoid_cross_entropy": ["sign-flip"], "Softmax_cross_entropy": ["missing-batch-mean"],
      "Sum_squared_error": ["scaled"]}),
    # losses returning one loss per element or per sample, averaged by the training loop: FAIL crashed ('a loss
    # layer's forward must return a scalar'); a backward() with no upstream gradient is the gradient of their sum,
    # or of their mean over the batch (since session 31: a backward dividing by N is right for a loop taking the mean,
    # and the buggy twin divides by N twice)
    ("unreduced_loss", {"BCE": "warn", "MSE": "warn"}, {"BCE": ["sign-flip"], "MSE": ["scaled"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_convention_found_in_published_code_passes_its_right_layers_and_fails_its_buggy_twin(folder, right, buggy):
    assert {k: v for k, (v, _) in _verdicts(HERE / folder)[0].items()} == right
    found = _verdicts(HERE / f"{folder}_buggy")[0]
    assert {k: codes[:1] for k, (v, codes) in found.items() if v == "fail"} == buggy


def test_a_star_import_of_a_missing_package_stays_the_files_error_that_says_where_to_run_from(capsys):
    assert main(["check", str(HERE / "star_missing"), "--no-fix-search"]) != 0
    out = capsys.readouterr().out
    assert "imports 'course_lib_not_here' (line 3)" in out and "install it, or run gradlab" in out
    assert "Sigmoid" not in out.split("ERROR", 1)[0]
