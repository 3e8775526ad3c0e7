"""Layers that cannot run on this machine, or refuse a geometry by design, are not backward bugs.

The files in tests/environment/ are written as CS231n's `fast_layers.py` is published: a Cython
extension imported in a try/except that was never built, a genuine typo, and an assertion on the
pool geometry.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.discover import discover
from gradlab.core.results import FAIL, WARN
from gradlab.schemas import schema

HERE = Path(__file__).resolve().parent / "environment"
FAST = HERE / "fast_layers.py"
REFUSING = HERE / "refusing_layers.py"


@pytest.fixture(scope="module")
def outcome():
    return check_paths([FAST], examples=20, seed=0)


def _entry(path: Path, name: str):
    (found,) = discover([path])
    return next(e for e in found.entries if e.name == name)


def test_a_layer_whose_extension_was_never_built_is_skipped_with_what_is_missing(outcome):
    reasons = dict(outcome.skipped)
    assert "relu_fast" in reasons
    assert reasons["relu_fast"].startswith("could not be run: im2col_cython is missing (install or build it)")
    assert "relu_fast" not in [r.name for r in outcome.reports]
    assert outcome.not_run == ["relu_fast"]


def test_a_typo_in_the_users_code_is_still_a_crash(outcome):
    (report,) = [r for r in outcome.reports if r.name == "relu_typo"]
    assert report.verdict == FAIL and report.bug_codes == ["crashed"]
    assert report.not_run is None
    assert "could not be run" not in json.dumps(report.to_dict())
    assert "cahce" in report.failing.findings[0].message


def test_the_layer_report_of_a_missing_extension_still_fails_with_the_reason_for_the_grader():
    report = check_entry(_entry(FAST, "relu_fast"), examples=5, seed=0)
    assert report.verdict == FAIL
    assert report.not_run is not None and "im2col_cython is missing" in report.not_run
    assert "install or build it" in (report.error or "")


def test_a_pool_layer_that_asserts_its_geometry_is_checked_on_the_cases_it_accepts(outcome):
    (report,) = [r for r in outcome.reports if r.name == "max_pool_reshape"]
    assert report.verdict == WARN, report.bug_codes
    (note,) = [w.message for w in report.warnings if "rejected" in w.message]
    assert "asserts pool_height == pool_width == stride (Invalid pool params)" in note


def test_a_layer_that_rejects_every_case_is_reported_as_rejecting_them_not_as_a_backward_bug():
    out = check_paths([REFUSING], examples=10, seed=0)
    assert out.reports == []
    reasons = dict(out.skipped)
    assert reasons["affine"].startswith("rejected every case it was given")
    assert "asserts x.shape[0] > 1000 (needs a big batch)" in reasons["affine"]


def test_the_json_document_stays_valid_and_the_exit_status_counts_only_the_typo(tmp_path, capsys):
    target = tmp_path / "out.json"
    status = main(["check", str(FAST), "--examples", "10", "--json", str(target)])
    doc = json.loads(target.read_text())
    jsonschema.validate(doc, schema("gradlab-check/1"))
    assert doc["summary"] == {"pass": 0, "warn": 1, "fail": 1}
    assert status == 1  # the typo
    printed = capsys.readouterr().out
    assert "SKIP relu_fast: could not be run: im2col_cython is missing (install or build it)" in printed


def test_a_file_whose_only_layer_cannot_run_exits_1_with_a_note_saying_so(tmp_path, capsys):
    target = tmp_path / "out.json"
    status = main(["check", str(FAST), "--only", "relu_fast", "--examples", "5", "--json", str(target)])
    doc = json.loads(target.read_text())
    jsonschema.validate(doc, schema("gradlab-check/1"))
    assert status == 1
    assert doc["notes"][0].startswith("no layer could be checked on this machine: relu_fast")
    assert "no layers recognised" not in capsys.readouterr().out


def test_the_crash_message_of_a_missing_extension_says_what_to_install_and_a_typo_says_nothing_of_it():
    from gradlab.conventions.calling import crash_report

    namespace: dict = {}
    exec(compile(FAST.read_text(), str(FAST), "exec"), namespace)
    with pytest.raises(NameError) as missing:
        namespace["relu_forward_fast"](None)
    with pytest.raises(NameError) as typo:
        namespace["relu_backward_typo"](None, None)
    assert "could not be run: im2col_cython is missing (install or build it)" in crash_report("f", missing.value).detail
    assert crash_report("f", typo.value).detail.startswith("raised NameError: name 'cahce' is not defined")
