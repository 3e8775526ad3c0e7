"""The harness proves itself on the zoo: every buggy variant is caught with its code, every correct
layer passes. Each entry is checked on as many cases as `gradlab report` uses, or the hypothesis profile's when it
asks for more (`--hypothesis-profile=deep` for 500); the reports are shared with the other tests that read the zoo
(conftest's `zoo_reports`). The default run checks a sample of the zoo chosen by a rule (tests/zoo_sample.py: one
entry in four and each bug code's first variant); `pytest --thorough` checks every entry."""

from __future__ import annotations

import pytest
import zoo_sample

from gradlab.core.bugs import BUG_CODES
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS, WARN

REGISTRY = load_reference()
BUGGY = [e for e in REGISTRY.values() if e.is_buggy]
CORRECT = [e for e in REGISTRY.values() if not e.is_buggy]


def _explain(report) -> str:
    lines = [f"{report.name}: verdict {report.verdict}, codes {report.bug_codes} (intended {report.intended_bug}), "
             f"smallest failing case {report.smallest_failing}"]
    if report.failing is not None:
        lines += [f"  {g.name}: {g.bug_code}: {g.diagnosis}" for g in report.failing.gradients if not g.passed]
        lines += [f"  {f.code}: {f.message}" for f in report.failing.findings]
    return "\n".join(lines)


@pytest.mark.parametrize("entry", zoo_sample.params(BUGGY, REGISTRY.values()), ids=lambda e: e.name)
def test_buggy_variant_is_diagnosed_with_its_intended_code_first(entry, zoo_reports, zoo_examples):
    report = zoo_reports.of(entry, examples=zoo_examples, seed=0)
    assert report.verdict == FAIL, _explain(report)
    assert report.bug_codes[:1] == [entry.bug], _explain(report)


@pytest.mark.parametrize("entry", zoo_sample.params(CORRECT, REGISTRY.values()), ids=lambda e: e.name)
def test_correct_layer_passes(entry, zoo_reports, zoo_examples):
    report = zoo_reports.of(entry, examples=zoo_examples, seed=0)
    assert report.verdict in (PASS, WARN), _explain(report)


def test_zoo_covers_every_bug_code_in_both_conventions_overall():
    assert {e.bug for e in BUGGY} == set(BUG_CODES)
    assert {e.convention for e in BUGGY} == {"class", "function"}


def test_zoo_has_at_least_thirty_buggy_variants():
    assert len(BUGGY) >= 30
