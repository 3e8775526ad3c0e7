"""Hostile submissions: the grader survives each, writes a valid results file, awards exactly what was earned.

Every fixture in tests/hostile/ is appended to good_layers.py (correct Relu, Sigmoid, Tanh) and
redefines the layer it attacks. The assignment gives each layer 10 points, split forward 2.5,
dx 5, structure 2.5; limits are small so that the whole file runs in about a minute.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.grading.sandbox import jail
from gradlab.grading.sandbox.reaper import process_table

HOSTILE = Path(__file__).parent / "hostile"
# A failing layer's diagnosis runs its forward ~150 times: 2 s ran out for the forged-results Sigmoid on a loaded
# machine, so each layer has 5 s; the hanging fixtures still end well within the test's patience.
TIMEOUT, IMPORT_TIMEOUT = 5, 3

ASSIGNMENT = f"""
name = "hostile"
convention = "class"
seed = 1
examples = 4
[limits]
timeout = {TIMEOUT}
import_timeout = {IMPORT_TIMEOUT}
memory_mb = 512
[[layers]]
name = "Relu"
points = 10
[[layers]]
name = "Sigmoid"
points = 10
[[layers]]
name = "Tanh"
points = 10
"""


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """Whatever a test started must be gone when it ends; leftovers are killed (by pid) and fail the test."""
    me = os.getpid()
    before = {p[0] for p in process_table() if p[1] == me}
    yield
    left = [p for p in process_table() if p[1] == me and p[0] not in before and p[4] != "Z"]
    for pid, *_ in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"


@pytest.fixture(params=["bwrap", "process"])
def sandbox(request) -> str:
    """Every attack is graded in both sandboxes: the jail, and the plain child it falls back to."""
    if request.param == "bwrap" and jail.probe() is not None:
        pytest.skip(f"bubblewrap cannot run here: {jail.probe()}")
    return request.param


def grade(tmp_path: Path, sandbox: str, fixture: str, *, marker: Path | None = None) -> tuple[dict, str, float]:
    source = (HOSTILE / "good_layers.py").read_text() + "\n\n" + (HOSTILE / fixture).read_text()
    if marker is not None:
        source = source.replace("__MARKER__", str(marker))
    sub = tmp_path / "submission" / "student.py"
    sub.parent.mkdir()
    sub.write_text(source)
    toml = tmp_path / "hostile.toml"
    toml.write_text(ASSIGNMENT)
    results, feedback = tmp_path / "out" / "results.json", tmp_path / "out" / "feedback.md"
    start = time.monotonic()
    status = main(["grade", str(sub), "--assignment", str(toml), "--results", str(results),
                   "--feedback", str(feedback), "--sandbox", sandbox])
    elapsed = time.monotonic() - start
    assert status == 0
    data = json.loads(results.read_text())
    assert {"score", "execution_time", "output", "tests"} <= set(data)
    for t in data["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility", "extra_data"} <= set(t)
        assert t["status"] in ("passed", "failed") and isinstance(t["extra_data"]["bug_codes"], list)
    return data, feedback.read_text(), elapsed


def outside_code(markdown: str) -> list[str]:
    """The lines of `markdown` outside fenced code blocks, as CommonMark reads them (a fence closes
    only with a run of backticks at least as long as the one that opened it)."""
    out, fence = [], 0
    for line in markdown.splitlines():
        run = len(line.strip()) if line.strip() and set(line.strip()) == {"`"} else 0
        if fence == 0 and run >= 3:
            fence = run
        elif fence and run >= fence:
            fence = 0
        elif not fence:
            out.append(line)
    return out


def layer_scores(data: dict) -> dict[str, float]:
    out: dict[str, float] = {}
    for t in data["tests"]:
        out[t["extra_data"]["layer"]] = round(out.get(t["extra_data"]["layer"], 0.0) + t["score"], 4)
    return out


def test_an_infinite_loop_at_import_scores_zero_within_the_import_limit(tmp_path, sandbox):
    data, feedback, elapsed = grade(tmp_path, sandbox, "loop_at_import.py")
    assert data["score"] == 0
    assert elapsed < IMPORT_TIMEOUT + 10
    assert "did not finish within" in data["output"]


def test_an_infinite_loop_in_backward_costs_only_that_layer(tmp_path, sandbox):
    data, feedback, elapsed = grade(tmp_path, sandbox, "loop_in_backward.py")
    assert layer_scores(data) == {"Relu": 10, "Sigmoid": 0, "Tanh": 10}  # a hung layer loses all its points
    assert data["score"] == 20
    assert elapsed < TIMEOUT + 15
    assert f"did not finish within {TIMEOUT} s" in feedback


def test_unbounded_allocation_is_stopped_by_the_memory_limit(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "unbounded_allocation.py")
    assert layer_scores(data) == {"Relu": 10, "Sigmoid": 0, "Tanh": 10}
    assert data["score"] == 20
    assert "MemoryError" in feedback


def test_sys_exit_at_import_is_not_a_pass(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "exit_at_import.py")
    assert data["score"] == 0
    assert "SystemExit" in data["output"]


def test_os_exit_in_forward_loses_that_layer_and_a_fresh_child_grades_the_next(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "os_exit_in_forward.py")
    assert layer_scores(data) == {"Relu": 10, "Sigmoid": 0, "Tanh": 10}
    assert "exited with status 0" in feedback


def test_ten_megabytes_printed_are_truncated_and_cost_nothing(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "prints_10mb.py")
    assert data["score"] == 30
    assert "printed" in data["output"]
    assert len(json.dumps(data)) < 100_000


def test_monkeypatching_numpy_and_gradlab_changes_nothing(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "monkeypatch.py")
    assert layer_scores(data) == {"Relu": 5, "Sigmoid": 10, "Tanh": 10}  # Relu's dx is wrong: 5 points lost
    relu_dx = next(t for t in data["tests"] if t["name"] == "Relu: gradient dx")
    assert relu_dx["extra_data"]["bug_codes"] == ["scaled"]


def test_forged_results_files_are_overwritten_by_the_real_score(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "forged_results.py")
    assert layer_scores(data) == {"Relu": 10, "Sigmoid": 5, "Tanh": 10}  # sign-flipped dx
    assert data["score"] == 25
    assert "forged" not in json.dumps(data)
    assert not list(tmp_path.rglob("results.json.tmp"))


def test_forked_children_that_outlive_the_submission_are_killed(tmp_path, sandbox):
    marker = tmp_path / "marker"
    marker.mkdir()
    data, _, _ = grade(tmp_path, sandbox, "forks_survivor.py", marker=marker)
    assert data["score"] == 30
    if sandbox == "bwrap":  # the jail cannot see the marker folder: nothing recorded, nothing forged
        time.sleep(0.5)
        assert not list(marker.iterdir())
        return
    pids = {p.stem: int(p.read_text()) for p in marker.glob("*.pid")}
    assert set(pids) == {"grouped", "escaped"}
    alive = {p[0] for p in process_table() if p[4] != "Z"}
    assert not set(pids.values()) & alive, "a forked child of the submission is still running"
    assert not list(marker.glob("*.forged"))


def test_gradients_returned_as_lists_or_none_earn_nothing_for_that_gradient(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "lists_or_none.py")
    # Relu: dx a list -> crashed, forward credited; Sigmoid: dx None -> not an array either; Tanh: forward a list
    assert layer_scores(data) == {"Relu": 2.5, "Sigmoid": 5, "Tanh": 0}
    codes = {t["name"]: t["extra_data"]["bug_codes"] for t in data["tests"]}
    assert codes["Relu: gradient dx"] == ["crashed"]
    assert codes["Sigmoid: gradient dx"] == ["crashed"]
    assert codes["Tanh: forward output"] == ["crashed"]


def test_keyboard_interrupt_and_system_exit_from_backward_are_crashes(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "interrupts.py")
    assert layer_scores(data) == {"Relu": 2.5, "Sigmoid": 2.5, "Tanh": 10}
    assert "KeyboardInterrupt" in feedback and "SystemExit" in feedback


def test_an_identity_layer_with_a_consistent_backward_earns_nothing(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "identity_relu.py")
    assert layer_scores(data)["Relu"] == 0
    assert data["score"] == 20


def test_a_scalar_forward_and_a_lone_surrogate_message_cost_only_their_own_layers(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "odd_returns.py")
    assert layer_scores(data) == {"Relu": 0, "Sigmoid": 0, "Tanh": 10}
    assert "cannot decode ? here" in feedback
    assert not list(tmp_path.rglob("*.gradlab-tmp"))


def test_a_correct_layer_printing_megabytes_in_backward_keeps_its_points_and_last_words_are_reported(
        tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "prints_in_backward.py")
    assert layer_scores(data) == {"Relu": 10, "Sigmoid": 0, "Tanh": 10}
    assert "LAST WORDS" in data["output"]
    assert "File too large" not in json.dumps(data)
    assert len(json.dumps(data)) < 100_000


def test_student_text_cannot_forge_a_heading_or_close_the_feedback_code_fence(tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "forges_feedback.py")
    assert layer_scores(data) == {"Relu": 5, "Sigmoid": 0, "Tanh": 10}
    headings = [line for line in outside_code(feedback) if line.lstrip(" >-").startswith("#")]
    assert headings == ["# hostile", "## Relu — 5 / 10", "## Sigmoid — 0 / 10", "## Tanh — 10 / 10"]
    assert [line for line in outside_code(feedback) if line.startswith("**Score")] == ["**Score: 15 / 30**"]
    assert "<h1>" not in feedback
    # the printed output sits inside a fence longer than any backtick run it contains
    fence = next(line for line in feedback.splitlines() if set(line) == {"`"})
    assert len(fence) == 5 and feedback.count(fence) == 2


def test_forwards_right_only_on_the_first_call_away_from_finite_differences_or_on_small_batches_earn_nothing(
        tmp_path, sandbox):
    data, feedback, _ = grade(tmp_path, sandbox, "forward_cheats.py")
    assert layer_scores(data) == {"Relu": 0, "Sigmoid": 0, "Tanh": 0}
    assert "as a finite difference does" in feedback
    assert "(bigger than the graded cases)" in feedback
