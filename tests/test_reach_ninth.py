"""Conventions of published code that session 26's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach9/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

from pathlib import Path

import numpy.lib.npyio

from gradlab.cases.check_many import check_paths

HERE = Path(__file__).parent / "reach9"


def _check(path: Path, examples: int = 3):
    outcome = check_paths([path], examples=examples, seed=0)
    return outcome, {r.name: r for r in outcome.reports}


def test_a_file_importing_a_name_numpy_2_moved_out_of_numpy_lib_is_imported_and_its_loss_passes():
    # `from numpy.lib.npyio import savez_compressed`: numpy 1's public module, numpy 2's private _npyio_impl
    outcome, verdicts = _check(HERE / "numpy1_moved_name")
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"softmax_loss_vectorized": "pass"}
    assert "__getattr__" not in vars(numpy.lib.npyio)  # lent while the file is imported, then taken back


def test_the_same_package_with_the_regulariser_halved_fails_as_scaled():
    outcome, verdicts = _check(HERE / "numpy1_moved_name_buggy")
    assert outcome.errors == []
    assert verdicts["softmax_loss_vectorized"].verdict == "fail"
    assert verdicts["softmax_loss_vectorized"].bug_codes == ["scaled"]
