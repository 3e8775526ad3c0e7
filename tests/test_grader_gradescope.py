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


#: Gradescope's documented results.json ("Output format" of its autograder specifications): key -> allowed types
GRADESCOPE_TOP = {"score": (int, float), "execution_time": (int,), "output": (str,), "output_format": (str,),
                  "test_output_format": (str,), "test_name_format": (str,), "visibility": (str,),
                  "stdout_visibility": (str,), "extra_data": (dict,), "tests": (list,), "leaderboard": (list,)}
GRADESCOPE_TEST = {"score": (int, float), "max_score": (int, float), "status": (str,), "name": (str,),
                   "name_format": (str,), "number": (str,), "output": (str,), "output_format": (str,),
                   "tags": (list,), "visibility": (str,), "extra_data": (dict,)}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def departures(data: dict, keys: dict, where: str) -> list[str]:
    """Where `data` leaves Gradescope's format: unknown keys, wrong types (a bool is no number), unknown values."""
    out = [f"{where}.{k}: not in the format" for k in data if k not in keys]
    out += [f"{where}.{k}: {type(v).__name__}" for k, v in data.items()
            if k in keys and (not isinstance(v, keys[k]) or isinstance(v, bool))]
    out += [f"{where}.{k}: {data[k]!r}" for k in ("visibility", "stdout_visibility") if k in data
            and data[k] not in VISIBILITIES]
    out += [f"{where}.{k}: {data[k]!r}" for k in ("output_format", "name_format", "test_output_format",
                                                    "test_name_format") if k in data and data[k] not in FORMATS]
    return out


def test_results_json_keeps_to_gradescopes_documented_format(tmp_path):
    data = results_json(graded(tmp_path))
    problems = departures(data, GRADESCOPE_TOP, "results")
    for i, test in enumerate(data["tests"]):
        problems += departures(test, GRADESCOPE_TEST, f"tests[{i}]")
        problems += [f"tests[{i}].status: {test['status']!r}"] if test["status"] not in ("passed", "failed") else []
        problems += [f"tests[{i}].tags"] if not all(isinstance(t, str) for t in test["tags"]) else []
    assert problems == []
    assert len({t["number"] for t in data["tests"]}) == len(data["tests"])
    assert data["score"] == round(sum(t["score"] for t in data["tests"]), 2)
    # the whole seconds the format asks for; the measured time stays, to the millisecond, in extra_data
    assert data["execution_time"] == round(data["extra_data"]["execution_seconds"])


def test_a_gradients_own_name_is_inert_in_the_markdown_feedback(tmp_path):
    """The name comes from the process that ran the student's code: whatever it says cannot start Markdown."""
    grade = graded(tmp_path)
    part = next(p for p in grade.layers[0].parts if p.component == "dx")
    part.label = "dx](http://evil) # <b>"
    markdown = feedback_markdown(grade)
    assert "- ✅ dx\\](http://evil) \\# \\<b\\>: " in markdown and "<b>" not in markdown
