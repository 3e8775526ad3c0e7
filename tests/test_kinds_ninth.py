"""Kinds real course code has that gradlab learned in the ninth round (issue 10): ReLU6 and Hardswish; the zoo's
correct layers pass and its buggy twins fail with their intended code, and learners' files written in each
convention are read and judged as written (`tests/fixtures/kinds_ninth/`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS

FIXTURES = Path(__file__).parent / "fixtures" / "kinds_ninth"
NEW_KINDS = ("relu6", "hardswish")
ZOO = {name: e for name, e in load_reference().items() if e.kind in NEW_KINDS}
CORRECT = sorted(n for n, e in ZOO.items() if not e.is_buggy)
BUGGY = sorted(n for n, e in ZOO.items() if e.is_buggy)


def _checked(path: Path, examples: int = 10) -> dict[str, tuple[str, list[str]]]:
    """name -> (verdict, bug codes) of every layer gradlab finds in `path`."""
    out = {}
    for found in discover([path]):
        assert found.error is None, found.error
        for entry in found.entries:
            report = check_entry(entry, examples=examples, seed=0)
            out[entry.name] = (report.verdict, report.bug_codes)
    return out


def test_the_zoo_holds_a_correct_layer_and_a_buggy_twin_of_each_new_kind_in_both_conventions():
    for kind in NEW_KINDS:
        assert {ZOO[n].convention for n in CORRECT if ZOO[n].kind == kind} == {"class", "function"}
        assert {ZOO[n].convention for n in BUGGY if ZOO[n].kind == kind} == {"class", "function"}


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_layer_of_a_new_kind_passes(name):
    report = check_entry(ZOO[name], examples=20, seed=2)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_layer_of_a_new_kind_fails_with_its_intended_code_first(name):
    report = check_entry(ZOO[name], examples=20, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == ZOO[name].bug, report.bug_codes


def test_learners_relu6_and_hardswish_are_read_by_their_pytorch_names_and_their_derivative_functions():
    results = _checked(FIXTURES / "activations_learners.py")
    assert results["ReLU6"][0] == PASS and results["HardSwish"][0] == PASS
    assert results["relu6"][0] == PASS  # relu6 with relu6_prime, one layer
    assert results["hard_swish"] == (FAIL, ["dropped-term"])  # its prime forgets the product rule's x / 6
