"""Gradescope semantics: hidden tests shown after publication, never in the visible total before it;
the feedback as Markdown in results.json; tests numbered and tagged with their bug codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.grading.assignment import AssignmentError, parse_assignment
from gradlab.grading.feedback import feedback_markdown, results_json
from gradlab.grading.grader import grade_submission

SUBMISSION = (Path(__file__).parent / "hostile" / "good_layers.py").read_text() + """

class Tanh:  # hidden layer, with a backward twice too large: it earns 5 of its 10 points
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return 2.0 * dout * (1.0 - self.out ** 2)
"""


def graded(tmp_path: Path, **extra):
    sub = tmp_path / "student.py"
    sub.write_text(SUBMISSION)
    assignment = parse_assignment({"name": "gs", "convention": "class", "seed": 1, "examples": 3, "sandbox": "process",
                                   "layers": [{"name": "Relu", "points": 10},
                                              {"name": "Tanh", "points": 10, "hidden": True}], **extra}, "gs test")
    return grade_submission(sub, assignment)


def test_hidden_tests_are_shown_after_publication_and_left_out_of_the_visible_total(tmp_path):
    grade = graded(tmp_path)
    data = results_json(grade)
    assert data["score"] == 15  # Gradescope records the whole score
    visibility = {t["name"]: t["visibility"] for t in data["tests"]}
    assert {v for n, v in visibility.items() if n.startswith("Tanh")} == {"after_published"}
    assert {v for n, v in visibility.items() if n.startswith("Relu")} == {"visible"}
    for text in (data["output"], feedback_markdown(grade)):
        assert "**Score: 10 / 10** on the visible tests; hidden tests worth 10 points" in text
        assert "15" not in text and "5 / 10" not in text  # neither the total nor the hidden layer's score


def test_an_assignment_may_keep_hidden_tests_until_the_due_date_or_forever(tmp_path):
    grade = graded(tmp_path, hidden_visibility="after_due_date")
    assert {t["visibility"] for t in results_json(grade)["tests"] if t["name"].startswith("Tanh")} == \
        {"after_due_date"}
    with pytest.raises(AssignmentError, match="hidden_visibility must be one of"):
        parse_assignment({"name": "x", "convention": "class", "hidden_visibility": "later",
                          "layers": [{"name": "Relu", "points": 1}]}, "x")


def test_results_json_carries_the_markdown_feedback_and_numbered_tests_tagged_with_bug_codes(tmp_path):
    data = results_json(graded(tmp_path))
    assert data["output_format"] == "md" and data["output"].startswith("# gs")
    assert [t["number"] for t in data["tests"]][:4] == ["1.1", "1.2", "1.3", "2.1"]
    tanh_dx = next(t for t in data["tests"] if t["name"] == "Tanh: gradient dx")
    assert tanh_dx["tags"] == ["scaled"] and tanh_dx["status"] == "failed" and tanh_dx["output_format"] == "md"
    assert all(t["tags"] == [] for t in data["tests"] if t["status"] == "passed")
