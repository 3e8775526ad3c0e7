"""Verified fixes in grading (issue 19): `show_fix = true` puts the fix in the student's feedback.

The fix is searched in the submission's own sandbox (the student's code runs nowhere else), after every
layer is graded and in the time left of its budget, so it never costs a point. Each diff shown here is
applied with `patch` and the patched file graded again: the layer then gets full marks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gradlab.grading import fix_search
from gradlab.grading.assignment import AssignmentError, load_assignment
from gradlab.grading.feedback import feedback_markdown, results_json
from gradlab.grading.grader import grade_submission

NEWUSER = Path(__file__).parent / "newuser"
ASSIGNMENT = """
name = "layers"
convention = "class"
seed = 3
examples = 6
{show}
[[layers]]
name = "Affine"
points = 10
[[layers]]
name = "Relu"
points = 5
"""
#: the textbook's Affine, written independently (tests/newuser), with its dW divided by the batch once too often
DW_LINE = "self.dW = np.dot(self.x.T, dout)"


def _assignment(tmp_path: Path, show: str) -> Path:
    path = tmp_path / "assignment.toml"
    path.write_text(ASSIGNMENT.format(show=show))
    return path


def _buggy(tmp_path: Path) -> Path:
    source = (NEWUSER / "textbook_correct.py").read_text(encoding="utf-8")
    assert source.count(DW_LINE) == 1
    path = tmp_path / "student" / "layers.py"
    path.parent.mkdir()
    path.write_text(source.replace(DW_LINE, DW_LINE + " / dout.shape[0]"), encoding="utf-8")
    return path


def test_a_one_bug_submission_graded_with_show_fix_gets_a_diff_that_patch_applies_and_that_earns_full_marks(
        tmp_path):
    path = _buggy(tmp_path)
    assignment = load_assignment(_assignment(tmp_path, "show_fix = true"))
    grade = grade_submission(path, assignment)
    affine, relu = grade.layers
    assert affine.score == 7.5 and affine.bug_codes == ["extra-batch-mean"]
    assert affine.fix is not None and affine.fix.status == "verified", affine.fix_note
    assert relu.fix is None and relu.fix_note == ""  # full marks: nothing searched, nothing said
    feedback = feedback_markdown(grade)
    assert "Suggested fix" in feedback and "-        " + DW_LINE + " / dout.shape[0]" in feedback
    assert feedback == results_json(grade)["output"]
    done = subprocess.run(["patch", "-p0", "--batch"], input=affine.fix.diff, text=True, cwd=path.parent,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert DW_LINE + " / dout.shape[0]" not in path.read_text(encoding="utf-8")
    again = grade_submission(path, assignment)
    assert again.score == again.max_score == 15
    assert all(layer.fix is None for layer in again.layers)


def test_without_show_fix_the_same_submission_gets_the_same_score_and_no_fix(tmp_path):
    path = _buggy(tmp_path)
    grade = grade_submission(path, load_assignment(_assignment(tmp_path, "")))
    assert grade.layers[0].score == 7.5
    assert all(layer.fix is None and not layer.fix_note for layer in grade.layers)
    assert "suggested fix" not in feedback_markdown(grade).lower()


def test_a_correct_submission_graded_with_show_fix_never_gets_a_fix(tmp_path):
    grade = grade_submission(NEWUSER / "textbook_correct.py", load_assignment(_assignment(tmp_path, "show_fix = true")))
    assert grade.score == grade.max_score
    assert all(layer.fix is None and not layer.fix_note for layer in grade.layers)
    assert "suggested fix" not in feedback_markdown(grade).lower()


def test_a_short_time_budget_gives_no_fix_and_says_so_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(fix_search, "MIN_FIX_SECONDS", 10_000.0)  # more than the whole budget: always too short
    grade = grade_submission(_buggy(tmp_path), load_assignment(_assignment(tmp_path, "show_fix = true")))
    affine = grade.layers[0]
    assert affine.score == 7.5 and affine.fix is None
    assert affine.fix_note.startswith("no fix searched") and "\n" not in affine.fix_note
    assert f"({affine.fix_note})" in feedback_markdown(grade)


@pytest.mark.parametrize("reply", [
    {"ok": True, "fix": {"status": "verified", "file": "layers.py", "diff": "x" * 100_000, "lines": [3],
                         "explanation": "e"}},
    {"ok": True, "fix": {"status": "verified", "file": "layers.py", "diff": "d", "lines": list(range(1, 9)),
                         "explanation": "e"}},
    {"ok": True, "fix": {"status": "verified", "file": 7, "diff": "d", "lines": [1], "explanation": "e"}},
    {"ok": True, "fix": {"status": "perfect"}},
    {"ok": False, "error": "crash"},
], ids=["huge-diff", "eight-lines", "file-not-text", "unknown-status", "crashed"])
def test_a_fix_reply_not_in_its_expected_shape_is_not_shown(reply):
    assert fix_search.fix_from_reply(reply) is None


def test_show_fix_must_be_true_or_false(tmp_path):
    with pytest.raises(AssignmentError, match="show_fix must be true or false"):
        load_assignment(_assignment(tmp_path, 'show_fix = "yes"'))
