"""The bubblewrap jail: a submission inside it reaches nothing of the host, and honest code keeps its marks.

Each test grades a real submission in a real jail (bwrap, its own namespaces) with the real child.
They are skipped only where bubblewrap cannot build a jail at all (the reason is printed); CI
installs bubblewrap, so there they run.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.grading.assignment import parse_assignment
from gradlab.grading.grader import grade_submission
from gradlab.grading.sandbox import jail

ROOT = Path(__file__).parent.parent
ATTACKS = Path(__file__).parent / "jail" / "escape_attempts.py"
JAIL_PROBLEM = jail.probe()
needs_bwrap = pytest.mark.skipif(JAIL_PROBLEM is not None, reason=f"bubblewrap cannot run here: {JAIL_PROBLEM}")


def assignment(sandbox: str):
    return parse_assignment({"name": "jail", "convention": "class", "seed": 3, "examples": 3, "sandbox": sandbox,
                             "limits": {"timeout": 10, "import_timeout": 15},
                             "layers": [{"name": "Relu", "points": 10}]}, "jail test")


class Listener:
    """A TCP server on the host's loopback that records whether anyone connected."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connected = False
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connected = True
            conn.close()

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()


def attack(tmp_path: Path, sandbox: str, *, dangerous: bool) -> tuple[object, str, dict[str, Path], Listener]:
    """Grade the escape attempts; (the grade, what the submission printed, the host paths it aimed at, the
    listener it tried to reach)."""
    paths = {"host_file": tmp_path / "classmate" / "alice.py", "outside": tmp_path / "outside.txt",
             "results": tmp_path / "grades" / "results.json"}
    paths["host_file"].parent.mkdir()
    paths["host_file"].write_text("SECRET = 'alice'\n")
    listener = Listener()
    source = ATTACKS.read_text()
    for placeholder, value in (("__REFERENCE__", ROOT / "reference" / "classes.py"),
                               ("__HOST_FILE__", paths["host_file"]), ("__OUTSIDE__", paths["outside"]),
                               ("__RESULTS__", paths["results"]), ("__GRADER_PID__", os.getpid()),
                               ("__PORT__", listener.port), ("__DANGEROUS__", "yes" if dangerous else "no")):
        source = source.replace(placeholder, str(value))
    sub = tmp_path / "bob" / "bob.py"
    sub.parent.mkdir()
    sub.write_text(source)
    try:
        grade = grade_submission(sub, assignment(sandbox))
    finally:
        listener.close()
    printed = "\n".join(n for n in grade.notes if n.startswith("your code printed"))
    return grade, printed, paths, listener


@needs_bwrap
def test_every_escape_attempt_is_blocked_in_the_jail_and_the_honest_layer_keeps_full_marks(tmp_path):
    grade, printed, paths, listener = attack(tmp_path, "bwrap", dangerous=True)
    assert grade.sandbox == "bwrap"
    attempts = [line for line in printed.splitlines() if line.startswith(("blocked", "ESCAPED"))]
    assert len(attempts) == 13, printed  # every attempt ran and reported
    assert not [line for line in attempts if line.startswith("ESCAPED")], printed
    assert grade.score == grade.max_score == 10
    assert not paths["outside"].exists() and not paths["results"].exists()
    assert not Path("/tmp/gradlab-jail-escape").exists()
    assert not listener.connected


def test_the_same_attempts_reach_the_host_without_the_jail_so_the_jail_test_can_fail(tmp_path):
    # the plain child process is what the jail is for: as root it reads the reference layers and a
    # classmate's file (this is the threat model the README states for --sandbox process)
    if os.geteuid() != 0:
        pytest.skip("the process sandbox drops to nobody when not root-with-a-private-interpreter")
    grade, printed, paths, _ = attack(tmp_path, "process", dangerous=False)
    assert grade.sandbox == "process"
    assert "ESCAPED read reference" in printed and "ESCAPED read host file" in printed
    paths["outside"].unlink(missing_ok=True)
    Path("/tmp/gradlab-jail-escape").unlink(missing_ok=True)


@needs_bwrap
def test_the_jail_shows_only_the_libraries_the_child_imports_not_the_grader_or_the_reference():
    inside = {b[1] for b in jail.library_binds()}
    assert any(p.endswith("/numpy") for p in inside)
    assert f"{jail.LIB}/gradlab/grading/sandbox/child.py" in inside
    assert not [p for p in inside if "/reference" in p or p.endswith(("grader.py", "assignment.py", "feedback.py"))]


@needs_bwrap
def test_the_reference_layers_get_full_marks_inside_the_jail():
    from gradlab.grading.assignment import load_assignment

    grade = grade_submission(ROOT / "reference" / "classes.py", load_assignment("classes"))
    assert grade.sandbox == "bwrap"
    assert grade.score == grade.max_score == 100


def test_auto_falls_back_to_the_process_sandbox_loudly_when_bubblewrap_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(jail, "probe", lambda: "bubblewrap is not installed (apt-get install -y bubblewrap)")
    sub = tmp_path / "s.py"
    sub.write_text((Path(__file__).parent / "hostile" / "good_layers.py").read_text())
    toml = tmp_path / "a.toml"
    toml.write_text('name = "a"\nconvention = "class"\nexamples = 2\n[[layers]]\nname = "Relu"\npoints = 10\n')
    results = tmp_path / "out" / "results.json"
    assert main(["grade", str(sub), "--assignment", str(toml), "--results", str(results)]) == 0
    import json

    data = json.loads(results.read_text())
    assert data["extra_data"]["sandbox"] == "process"
    assert "WITHOUT the bubblewrap jail" in data["output"] and data["score"] == 10
    assert "WARNING: graded WITHOUT the bubblewrap jail" in capsys.readouterr().err


def test_an_explicit_bwrap_sandbox_that_cannot_run_is_a_one_line_usage_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(jail, "probe", lambda: "bubblewrap is not installed (apt-get install -y bubblewrap)")
    sub = tmp_path / "s.py"
    sub.write_text("x = 1\n")
    assert main(["grade", str(sub), "--assignment", "classes", "--sandbox", "bwrap"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--sandbox process" in err[0]
