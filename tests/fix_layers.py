"""The harness the fix families' tests share (test_fixes_eighth, _ninth, _tenth, _eleventh): a table row per family
(`Layer`: the one-bug layer written for the test, its slip and the right text, a second slip that leaves no single
edit), and the four proofs every family gives: the slipped layer gets the right text as a verified fix, its correct
twin gets none, the layer with a second slip gets none found, and without the family the right text is not proposed.

Each test module keeps its own table and its own test functions (their names are the sentences a failure reads as);
only the steps are here, so that a change to how a family is proved is made once. Non-goal: the layers themselves,
which are each module's, written for its families.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.core.results import FAIL
from gradlab.fixes import families, find_fix
from gradlab.fixes.candidates import candidates
from gradlab.fixes.rebuild import apply, changed_lines
from gradlab.fixes.source import Site, locate

HEAD = "import numpy as np\n\n\n"


class Layer(NamedTuple):
    name: str
    #: the family's generator: without it the layer gets no fix (None: a ranking rule, not a family of its own)
    generator: Callable[..., object] | None
    source: str
    #: the slipped text and the right one (the fix must write it so)
    slip: str
    right: str
    #: a second slip, on the gradients the first touches, that leaves no single edit to find
    second: str
    second_slipped: str

    @property
    def fixed(self) -> str:
        """The whole file as the fix must leave it."""
        return HEAD + self.source.replace(self.slip, self.right, 1)


def entry_named(path: Path, name: str) -> Any:
    return next(e for f in discover([path]) for e in f.entries if e.name == name)


def write_layer(tmp_path: Path, family: str, source: str) -> Path:
    path = tmp_path / f"{family.replace('-', '_')}_layers.py"
    path.write_text(HEAD + source, encoding="utf-8")
    return path


def search(tmp_path: Path, family: str, layer: Layer, source: str, budget: int | None = None) -> Any:
    """The fix search on `source` (which must fail), with the search's own budget unless one is given."""
    entry = entry_named(write_layer(tmp_path, family, source), layer.name)
    report = check_entry(entry, examples=20, seed=0)
    assert report.verdict == FAIL, f"{family}: the slipped layer should fail"
    if budget is None:
        return find_fix(entry, report, examples=20, seed=0)
    return find_fix(entry, report, examples=20, seed=0, budget=budget)


def site_of(tmp_path: Path, family: str, layer: Layer) -> tuple[Site, Any]:
    """Where the slipped layer's fix is searched, and its check's report: for proofs that run no candidate."""
    entry = entry_named(write_layer(tmp_path, family, layer.source), layer.name)
    site = locate(entry)
    assert site is not None, family
    return site, check_entry(entry, examples=20, seed=0)


def assert_the_right_text_is_the_verified_fix(tmp_path: Path, family: str, layer: Layer,
                                              tried_at_most: int | None = None) -> None:
    fix = search(tmp_path, family, layer, layer.source)
    assert fix is not None and fix.status == "verified", (family, fix and fix.status)
    if tried_at_most is not None:
        assert fix.tried <= tried_at_most, fix.tried
    assert fix.new_text == layer.fixed, fix.diff
    # the edited file, imported afresh and checked with other cases, passes
    edited = tmp_path / "edited" / Path(fix.path).name
    edited.parent.mkdir()
    edited.write_text(fix.new_text, encoding="utf-8")
    assert check_entry(entry_named(edited, layer.name), examples=30, seed=3).verdict != FAIL, fix.diff


def assert_the_correct_twin_gets_no_fix(tmp_path: Path, family: str, layer: Layer) -> None:
    entry = entry_named(write_layer(tmp_path, family, layer.source.replace(layer.slip, layer.right, 1)), layer.name)
    report = check_entry(entry, examples=20, seed=0)
    assert report.verdict != FAIL, (family, report.bug_codes)
    assert find_fix(entry, report, examples=20, seed=0) is None


def assert_a_second_slip_gets_none_found(tmp_path: Path, family: str, layer: Layer,
                                         budget: int | None = None) -> None:
    assert layer.source.count(layer.second) == 1, family
    fix = search(tmp_path, family, layer, layer.source.replace(layer.second, layer.second_slipped, 1), budget)
    assert fix is not None and fix.status == "none-found", fix and fix.diff


def assert_not_proposed_without_its_family(tmp_path: Path, family: str, layer: Layer,
                                           monkeypatch: pytest.MonkeyPatch, lines: int = 1,
                                           remove: Callable[[pytest.MonkeyPatch], None] | None = None) -> None:
    # no other family proposes the right text, at any rank, and the right text changes `lines` lines: one, which the
    # search's pairs (edits on two different lines) cannot write, or two that no edit of one line alone repairs.
    # A proof that runs no candidate, where running the whole budget would cost seconds a layer
    site, report = site_of(tmp_path, family, layer)
    assert len(changed_lines(site.text, layer.fixed)) == lines, family
    assert any(apply(site.text, cand) == layer.fixed for _, cand in candidates(site, report)), family
    if remove is not None:  # a family that is not a statement's generator takes itself out
        remove(monkeypatch)
    else:
        monkeypatch.setattr(families, "GENERATORS", tuple(g for g in families.GENERATORS if g is not layer.generator))
    assert all(apply(site.text, cand) != layer.fixed for _, cand in candidates(site, report)), family
