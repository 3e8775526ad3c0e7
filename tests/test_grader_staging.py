"""Submissions as files on disk: copying one never follows a link or opens a special file, and a class
folder's students never share an output folder."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from gradlab.grading.assignment import parse_assignment
from gradlab.grading.class_folder import grade_folder, output_name
from gradlab.grading.grader import grade_submission
from gradlab.grading.sandbox import jail
from gradlab.grading.sandbox.staging import copy_submission

GOOD = (Path(__file__).parent / "hostile" / "good_layers.py").read_text()


def relu_only(**extra):
    return parse_assignment({"name": "relu", "convention": "class", "seed": 2, "examples": 2,
                             "layers": [{"name": "Relu", "points": 10}], **extra}, "staging test")


def booby_trapped_folder(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET grader file")
    folder = tmp_path / "student"
    (folder / "pkg").mkdir(parents=True)
    (folder / "layers.py").write_text(GOOD)
    (folder / "zero.py").symlink_to("/dev/zero")
    (folder / "secret.py").symlink_to(secret)
    (folder / "loop.py").symlink_to(folder / "loop.py")
    (folder / "outside").symlink_to(tmp_path)
    os.mkfifo(folder / "pkg" / "fifo.py")
    return folder


def test_copying_a_folder_follows_no_link_and_opens_no_fifo_or_device(tmp_path):
    folder = booby_trapped_folder(tmp_path)
    work = tmp_path / "work"
    start = time.monotonic()
    files, left_out = copy_submission(folder, work)
    assert time.monotonic() - start < 5  # a FIFO opened for reading, or /dev/zero read, would hang or fill
    assert [f.relative_to(work).as_posix() for f in files] == ["student/layers.py"]
    assert sorted(name.split()[0] for name in left_out) == ["fifo.py", "loop.py", "outside", "secret.py", "zero.py"]
    assert not any("SECRET" in p.read_text() for p in work.rglob("*") if p.is_file())


def test_a_single_file_that_links_to_a_device_is_not_read(tmp_path):
    link = tmp_path / "student.py"
    link.symlink_to("/dev/zero")
    files, left_out = copy_submission(link, tmp_path / "work")
    assert files == [] and "not a regular file" in left_out[0]


def test_a_booby_trapped_folder_is_graded_on_its_real_files_and_the_feedback_names_what_was_left_out(tmp_path):
    grade = grade_submission(booby_trapped_folder(tmp_path), relu_only())
    assert grade.score == grade.max_score == 10
    note = next(n for n in grade.notes if n.startswith("left out"))
    assert "zero.py" in note and "secret.py" in note
    assert "TOP SECRET" not in repr(grade)


def test_output_folders_are_unique_per_student_and_never_the_gradebook():
    names = ["a b", "a_b", "a/b", "gradebook.csv", "GRADEBOOK.CSV", "..", "alice"]
    out = [output_name(n) for n in names]
    assert len(set(out)) == len(names)
    assert output_name("alice") == "alice" and output_name("a_b") == "a_b"
    assert all("/" not in o and o not in (".", "..", "gradebook.csv") for o in out)


def test_a_class_with_clashing_names_and_a_linked_file_gets_one_result_per_real_student(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for student in ("a b", "a_b", "gradebook.csv"):
        (folder / f"{student}.py").write_text(GOOD)
    (folder / "mallory.py").symlink_to("/etc/passwd")
    out = tmp_path / "grades"
    rows = grade_folder(folder, relu_only(sandbox="process"), out, jobs=1, progress=False)
    assert sorted(r.student for r in rows) == ["a b", "a_b", "gradebook.csv"]
    with open(out / "gradebook.csv", newline="") as f:
        book = list(csv.reader(f))
    assert book[0] == ["student", "total", "Relu"] and sorted(r[0] for r in book[1:]) == ["a b", "a_b", "gradebook.csv"]
    assert all(r[1] == "10" for r in book[1:])
    assert len([p for p in out.iterdir() if (p / "results.json").is_file()]) == 3


WRONG_RELU = """
class Relu:  # a draft left next to the real one: its backward is twice too large
    def forward(self, x):
        self.mask = x <= 0
        return x * (x > 0)

    def backward(self, dout):
        return 2.0 * dout * (~self.mask)
"""


def two_relus(tmp_path: Path) -> Path:
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "layers.py").write_text(GOOD)
    (folder / "draft.py").write_text(WRONG_RELU)
    (folder / "__init__.py").write_text("from .layers import Relu  # re-exported, not a second definition\n")
    return folder


def test_a_layer_defined_in_two_files_is_an_error_naming_both_never_a_silent_pick(tmp_path):
    grade = grade_submission(two_relus(tmp_path), relu_only())
    assert grade.score == 0
    message = grade.layers[0].parts[0].message
    assert "draft.py" in message and "layers.py" in message and "keep one definition" in message


def test_the_file_the_assignment_names_wins_when_a_layer_is_defined_twice(tmp_path):
    folder = two_relus(tmp_path)
    good = relu_only()
    named = parse_assignment({"name": "relu", "convention": "class", "seed": 2, "examples": 2,
                              "layers": [{"name": "Relu", "points": 10, "file": "layers.py"}]}, "named")
    draft = parse_assignment({"name": "relu", "convention": "class", "seed": 2, "examples": 2,
                              "layers": [{"name": "Relu", "points": 10, "file": "draft.py"}]}, "named")
    assert grade_submission(folder, named).score == 10
    assert grade_submission(folder, draft).score < 10
    assert good.layers[0].file is None


def test_in_a_class_an_attacker_sorted_first_cannot_touch_a_classmates_files_or_results(tmp_path):
    folder, out = tmp_path / "class", tmp_path / "grades"
    folder.mkdir()
    victim = folder / "zed.py"
    victim.write_text(GOOD)
    (folder / "aaron.py").write_text(GOOD + f"""
for _path in ({str(victim)!r}, {str(out / 'zed' / 'results.json')!r}, {str(out / 'gradebook.csv')!r}):
    try:
        with open(_path, "w") as _f:
            _f.write("class Relu:\\n    pass\\n")
    except OSError:
        pass
""")
    rows = grade_folder(folder, relu_only(sandbox="bwrap" if jail.probe() is None else "process"), out, jobs=2,
                        progress=False)
    if jail.probe() is not None:
        pytest.skip(f"bubblewrap cannot run here: {jail.probe()} (as root without it, the plain child can)")
    assert {r.student: r.total for r in rows} == {"aaron": 10, "zed": 10}
    assert victim.read_text() == GOOD
