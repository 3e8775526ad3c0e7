"""Verified fixes never bend a gradient to fit a wrong forward (issue 19).

The check diagnoses backward relative to the layer's own forward: a loss whose value lost its `/ N` while its
gradient kept `dx /= N` reads as a gradient divided by N once too often. Removing `dx /= N` would then pass
every gradient check, with a loss N times the right one. The fix search compares the layer's forward with the
kind's reference layer (`gradlab.cases.forward_reference`) and, where they differ, shows only an edit that makes
the forward match the reference. The losses below are our own, written in CS231n's function style.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import numpy as np
import pytest

import gradlab.cases.forward_reference
import gradlab.fixes.search
from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.conventions.imports import load_module
from gradlab.core.results import FAIL, FixResult
from gradlab.fixes import find_fix
from gradlab.fixes.verify import forward_outputs, forward_specs, off_reference, screen_specs
from gradlab.kinds import KINDS, build_case
from gradlab.schemas import schema

SVM = '''\
import numpy as np


def svm_loss(x, y):
    n = x.shape[0]
    correct = x[np.arange(n), y][:, None]
    margins = np.maximum(0, x - correct + 1.0)
    margins[np.arange(n), y] = 0
    loss = np.sum(margins) / n
    counts = (margins > 0).astype(x.dtype)
    counts[np.arange(n), y] = -counts.sum(axis=1)
    dx = counts
    dx /= n
    return loss, dx
'''
SOFTMAX = '''\
import numpy as np


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    dx /= n
    return loss, dx
'''
#: the forward bug of the issue: the loss value lost its mean over the batch, the gradient kept it
SVM_NO_MEAN = SVM.replace("loss = np.sum(margins) / n", "loss = np.sum(margins)")
SOFTMAX_NO_MEAN = SOFTMAX.replace("/ n\n    dx = np.exp", "\n    dx = np.exp")
#: an ordinary one-bug loss: the forward is right, the gradient lost its mean
SVM_DX_NOT_AVERAGED = SVM.replace("    dx /= n\n", "")


def _entry(tmp_path: Path, text: str):
    path = tmp_path / "losses.py"
    path.write_text(text, encoding="utf-8")
    (entry,) = [e for f in discover([path]) for e in f.entries]
    return entry


def _search(tmp_path: Path, text: str, **kwargs) -> tuple[FixResult | None, object]:
    entry = _entry(tmp_path, text)
    report = check_entry(entry, examples=20, seed=0)
    return find_fix(entry, report, examples=20, seed=0, **kwargs), report


def _forward_lines(text: str) -> set[int]:
    """The line numbers of the loss value's computation: everything above the gradient's first line."""
    lines = text.splitlines()
    first_grad = next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith(("counts =", "dx =")))
    return set(range(1, first_grad))


def _fixed_forward_matches_reference(fix: FixResult, tmp_path: Path) -> bool:
    """Independently of the search: the fixed file's loss value equals the reference's on a fresh case."""
    path = tmp_path / "fixed.py"
    path.write_text(fix.new_text, encoding="utf-8")
    module = load_module(path)
    (entry,) = [e for f in discover([path]) for e in f.entries]
    kind = KINDS[entry.kind]
    case = build_case(kind, {**kind.batch_spec(entry.convention), "N": 5, "seed": 7})
    fn = getattr(module, entry.name)
    loss, _ = fn(case.x.copy(), case.t.copy())
    return bool(np.isclose(loss, float(gradlab.cases.forward_reference.reference_output(kind, case).reshape(-1)[0])))


@pytest.mark.parametrize("text", [SVM_NO_MEAN, SOFTMAX_NO_MEAN], ids=["svm", "softmax"])
def test_a_loss_whose_forward_lost_its_mean_gets_no_backward_only_fix(text, tmp_path):
    fix, report = _search(tmp_path, text)
    assert report.verdict == FAIL and fix is not None
    if fix.status == "verified":  # the forward edit the search proposed: it must bring the loss to the reference's
        assert set(fix.lines) <= _forward_lines(text), fix.diff
        assert "forward now matches the reference layer" in fix.explanation
        assert _fixed_forward_matches_reference(fix, tmp_path), fix.diff
    else:
        assert "times the reference's" in fix.explanation


@pytest.mark.parametrize("text", [SVM_NO_MEAN, SOFTMAX_NO_MEAN], ids=["svm", "softmax"])
def test_a_loss_whose_forward_lost_its_mean_gets_the_forward_edit_the_search_proposes(text, tmp_path):
    fix, _ = _search(tmp_path, text)
    assert fix is not None and fix.status == "verified", fix
    assert set(fix.lines) <= _forward_lines(text) and _fixed_forward_matches_reference(fix, tmp_path), fix.diff


def test_without_the_reference_comparison_the_search_would_bend_dx_to_the_wrong_loss(tmp_path, monkeypatch):
    # proves the tests above can fail: the guard off, removing `dx /= n` "passes" against the wrong loss
    monkeypatch.setattr(gradlab.fixes.search, "off_reference", lambda *a: None)
    fix, _ = _search(tmp_path, SVM_NO_MEAN)
    assert fix is not None and fix.status == "verified" and "-    dx /= n" in fix.diff, fix


def test_a_search_that_runs_out_before_a_forward_edit_says_the_forward_is_off_by_n(tmp_path, monkeypatch):
    monkeypatch.setattr(gradlab.fixes.search, "off_reference", lambda *a: None)
    bent, _ = _search(tmp_path, SVM_NO_MEAN)
    monkeypatch.undo()
    # the budget that found the bent edit: with the guard on it finds no fix, and says why in one line
    fix, _ = _search(tmp_path, SVM_NO_MEAN, budget=bent.tried)
    assert fix is not None and fix.status == "none-found", fix.diff
    assert fix.explanation.startswith("the loss is N=") and "forward's mean over the batch is missing" in \
        fix.explanation and "relative to the layer's own forward" in fix.explanation and "\n" not in fix.explanation
    # the JSON says it too, as its schema documents
    document = fix.to_dict()
    assert document["explanation"] == fix.explanation
    for schema_id in ("gradlab-check/1", "gradlab-report/1", "gradlab-registry/1"):
        jsonschema.validate(document, _fix_schema(schema(schema_id)))


def _fix_schema(node):
    """The schema of a layer's `fix` entry, wherever the document's schema nests it."""
    if isinstance(node, dict):
        if isinstance(node.get("fix"), dict) and "oneOf" in node["fix"]:
            return node["fix"]
        children = node.values()
    else:
        children = node if isinstance(node, list) else []
    return next((found for c in children if (found := _fix_schema(c)) is not None), None)


def test_the_measured_factor_is_the_batch_size_of_the_case_compared(tmp_path):
    entry = _entry(tmp_path, SVM_NO_MEAN)
    report = check_entry(entry, examples=20, seed=0)
    specs = forward_specs(entry, screen_specs(entry, report))
    said = off_reference(entry, specs, forward_outputs(entry, specs))
    n = next(s["N"] for s, extreme in specs if not extreme and s["N"] > 1)
    assert said is not None and said.startswith(f"the loss is N={n} times the reference's"), said


@pytest.mark.parametrize("text", [SVM, SOFTMAX], ids=["svm", "softmax"])
def test_a_correct_loss_passes_and_its_forward_is_not_off_the_reference(text, tmp_path):
    entry = _entry(tmp_path, text)
    report = check_entry(entry, examples=20, seed=0)
    assert report.verdict != FAIL and find_fix(entry, report) is None
    specs = forward_specs(entry, [({**KINDS[entry.kind].batch_spec(entry.convention), "N": 4}, False)])
    assert off_reference(entry, specs, forward_outputs(entry, specs)) is None


def test_a_loss_whose_gradient_lost_its_mean_still_gets_its_backward_fix(tmp_path):
    fix, _ = _search(tmp_path, SVM_DX_NOT_AVERAGED)
    assert fix is not None and fix.status == "verified", fix
    assert "its forward is unchanged" in fix.explanation and not set(fix.lines) & _forward_lines(SVM), fix.diff


def test_a_kind_without_a_reference_layer_is_judged_as_before(tmp_path, monkeypatch):
    # as in the grader's sandbox, or a kind no reference module covers: the layer's own forward is all there is
    def no_reference(kind):
        raise LookupError(f"no reference layer of kind {kind.name!r}")

    monkeypatch.setattr(gradlab.cases.forward_reference, "reference_entry", no_reference)
    fix, _ = _search(tmp_path, SVM_NO_MEAN)
    assert fix is not None and fix.status == "verified" and "-    dx /= n" in fix.diff, fix
    assert fix.explanation.endswith("its forward is unchanged")


def test_a_loss_off_by_no_batch_factor_is_described_by_its_values_not_by_a_ratio(tmp_path):
    # one number is always some multiple of another: a loss off by an offset has no factor to report
    entry = _entry(tmp_path, SVM.replace("loss = np.sum(margins) / n", "loss = np.sum(margins) / n + 0.5"))
    report = check_entry(entry, examples=20, seed=0)
    specs = forward_specs(entry, screen_specs(entry, report)) if report.failing is not None else \
        forward_specs(entry, [({**KINDS[entry.kind].batch_spec(entry.convention), "N": 4}, False)])
    said = off_reference(entry, specs, forward_outputs(entry, specs))
    assert said is not None and said.startswith("forward output differs from the correct one") and "times" not in said
