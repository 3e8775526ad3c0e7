"""The grader as an instructor uses it: fair scores, clear assignment errors, a class at once, Gradescope."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from gradlab.grading.assignment import AssignmentError, load_assignment
from gradlab.cli.main import main
from gradlab.grading.grader import grade_submission
from gradlab.grading.layer_cases import draw_specs
from gradlab.kinds import KINDS, build_case
from gradlab.grading.sandbox import jail
from gradlab.grading.sandbox.remote_layer import RemoteLayer
from gradlab.grading.sandbox.process import Limits, Sandbox
from gradlab.grading.sandbox.wire import WireError, decode, encode

ROOT = Path(__file__).parent.parent
NEWUSER = Path(__file__).parent / "newuser"

TEXTBOOK = """
name = "textbook"
convention = "class"
seed = 5
examples = 6
[[layers]]
name = "Affine"
points = 10
[[layers]]
name = "Relu"
points = 5
[[layers]]
name = "SoftmaxWithLoss"
points = 10
[[layers]]
name = "BatchNormalization"
points = 10
"""


@pytest.fixture
def textbook(tmp_path: Path) -> Path:
    p = tmp_path / "textbook.toml"
    p.write_text(TEXTBOOK)
    return p


def test_the_reference_class_layers_get_full_marks_on_the_builtin_assignment():
    grade = grade_submission(ROOT / "reference" / "classes.py", load_assignment("classes"))
    assert grade.score == grade.max_score == 100


def test_the_reference_function_layers_get_full_marks_on_the_builtin_assignment():
    grade = grade_submission(ROOT / "reference" / "functions.py", load_assignment("functions"))
    assert grade.score == 100


def test_an_independently_written_textbook_submission_gets_full_marks(textbook):
    grade = grade_submission(NEWUSER / "textbook_correct.py", load_assignment(textbook))
    assert grade.score == 35, [(layer.name, layer.score, layer.bug_codes) for layer in grade.layers]


def test_a_one_bug_submission_loses_exactly_the_buggy_gradients_points(tmp_path, textbook):
    source = (NEWUSER / "textbook_correct.py").read_text()
    assert source.count("self.db = np.sum(dout, axis=0)") == 2
    buggy = source.replace("self.db = np.sum(dout, axis=0)", "self.db = np.sum(dout)", 1)  # the Affine's
    assert buggy != source  # the Affine's bias gradient is now a scalar
    path = tmp_path / "student.py"
    path.write_text(buggy)
    grade = grade_submission(path, load_assignment(textbook))
    affine = grade.layers[0]
    # Affine: forward 1, dx 2, dW 2, db 2, structure 1 -> db is 2/8 of 10 points
    assert affine.score == 7.5 and affine.bug_codes == ["wrong-reduction"]
    assert grade.score == 35 - 2.5


def test_a_transposed_pooling_gradient_written_independently_is_named_transposed(tmp_path):
    """The smallest failing case can make a permuted gradient look like a dropped term; the code
    the failing cases agree on is the one reported."""
    import ast

    buggy_src = (NEWUSER / "buggy_classes_1.py").read_text()
    pooling = next(n for n in ast.parse(buggy_src).body if isinstance(n, ast.ClassDef) and n.name == "Pooling")
    path = tmp_path / "student.py"
    path.write_text((NEWUSER / "textbook_correct.py").read_text() + "\n\n" + ast.get_source_segment(buggy_src, pooling))
    asg = tmp_path / "pool.toml"
    asg.write_text('name = "pool"\nconvention = "class"\nseed = 7\nexamples = 12\n'
                   '[[layers]]\nname = "Pooling"\npoints = 10\n[[layers]]\nname = "Affine"\npoints = 10\n')
    grade = grade_submission(path, load_assignment(asg))
    pool, affine = grade.layers
    assert affine.score == 10
    assert pool.score < 10 and pool.bug_codes == ["transposed"]


def test_feedback_explains_every_lost_point(tmp_path):
    out = tmp_path / "fb.md"
    assert main(["grade", str(NEWUSER / "buggy_functions_1.py"), "--assignment", "functions",
                 "--feedback", str(out)]) == 0
    text = out.read_text()
    assert "transposed:" in text and "Hint:" in text and "Smallest failing case: N=" in text


def test_the_specs_are_fixed_by_the_seed_and_sorted_smallest_first():
    a = draw_specs(KINDS["affine"], "class", 8, seed=3)
    assert a == draw_specs(KINDS["affine"], "class", 8, seed=3)
    sizes = [(s["N"], build_case(KINDS["affine"], s).x.size) for s, _ in a]
    assert [n for n, _ in sizes] == sorted(n for n, _ in sizes)


@pytest.mark.parametrize("text, fragment", [
    ('convention = "classes"\n[[layers]]\nname="Affine"\npoints=1', 'convention must be "class" or "function"'),
    ('convention = "class"', "no layers"),
    ('convention = "class"\n[[layers]]\nname="Affine"', "layers[0].points is missing"),
    ('convention = "class"\n[[layers]]\nname="Affine"\npoints="ten"', "layers[0].points must be a positive number"),
    ('convention = "class"\n[[layers]]\nname="Foo"\npoints=1', 'add kind = "..."'),
    ('convention = "class"\n[[layers]]\nname="Affine"\npoints=1\nhiden=true', "unknown key 'layers[0].hiden'"),
    ('convention = "class"\n[limits]\ntimout=3\n[[layers]]\nname="Affine"\npoints=1', "unknown key 'limits.timout'"),
    ('convention = "class"\n[limits]\ntimeout=-1\n[[layers]]\nname="Affine"\npoints=1', "limits.timeout must be"),
    ('convention = "class\n', "not valid TOML"),
], ids=["convention", "no-layers", "no-points", "points-text", "unknown-name", "typo-key", "typo-limit",
        "negative-timeout", "bad-toml"])
def test_a_bad_assignment_gets_an_error_naming_the_key_and_the_fix(tmp_path, text, fragment):
    p = tmp_path / "a.toml"
    p.write_text(text)
    with pytest.raises(AssignmentError) as err:
        load_assignment(p)
    assert fragment in str(err.value)


def test_the_cli_exits_2_with_a_clear_message_when_it_cannot_grade(tmp_path, capsys):
    assert main(["grade", str(NEWUSER / "cs231n_correct.py"), "--assignment", "nope"]) == 2
    assert "not a built-in assignment" in capsys.readouterr().err
    assert main(["grade", str(tmp_path / "missing.py"), "--assignment", "classes"]) == 2


def test_a_class_folder_is_graded_in_parallel_into_a_gradebook(tmp_path, textbook):
    klass = tmp_path / "class"
    klass.mkdir()
    (klass / "alice.py").write_text((NEWUSER / "textbook_correct.py").read_text())
    (klass / "bob").mkdir()
    (klass / "bob" / "layers.py").write_text("raise RuntimeError('unfinished')\n")
    out = tmp_path / "grades"
    assert main(["grade", str(klass), "--assignment", str(textbook), "--out", str(out), "--jobs", "2",
                 "--no-progress"]) == 0
    rows = list(csv.DictReader(open(out / "gradebook.csv")))
    assert [(r["student"], float(r["total"])) for r in rows] == [("alice", 35.0), ("bob", 0.0)]
    assert float(rows[0]["Affine"]) == 10
    assert json.loads((out / "bob" / "results.json").read_text())["score"] == 0
    assert "unfinished" in (out / "bob" / "feedback.md").read_text()


def test_the_proxy_evaluates_many_perturbations_in_one_round_trip():
    kind = KINDS["affine"]
    case = build_case(kind, {"N": 2, "in_shape": (3,), "out": 4, "seed": 0, "scale": 1.0})
    with Sandbox(ROOT / "reference" / "classes.py", Limits()) as box:
        assert box.start()["ok"]
        box.budget(10, "test")
        layer = RemoteLayer(box, "Affine", kind, case)
        y = layer.forward(case.x.copy())
        outs = layer.forward_perturbed("W", np.array([0, 5]), np.array([1.5, -2.0]))
    assert outs.shape == (2, *y.shape)
    W = case.params["W"].copy()
    W.flat[5] = -2.0
    assert np.allclose(outs[1], case.x @ W + case.params["b"])


def test_the_wire_refuses_object_arrays_and_oversized_replies():
    with pytest.raises(WireError):
        encode({"a": np.array([None])})
    data = encode({"a": np.zeros(1000)})
    pos = [0]

    def read(n: int) -> bytes:
        pos[0] += n
        return data[pos[0] - n:pos[0]]

    with pytest.raises(WireError):
        decode(read, max_bytes=100)


def test_the_gradescope_bundle_grades_a_fake_autograder_tree(tmp_path):
    from local_wheels import PYTHON, wheelhouse

    bundle = tmp_path / "autograder.zip"
    wheelhouse(tmp_path / "wheels")  # never download in a test
    assert main(["gradescope", "classes", "-o", str(bundle), "--wheels", str(tmp_path / "wheels"),
                 "--python-version", PYTHON]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        z.extractall(root / "source")
    assert {"setup.sh", "run_autograder", "assignment.toml"} <= set(names)
    wheel = next(n for n in names if n.startswith("wheels/gradlab-") and n.endswith(".whl"))
    with zipfile.ZipFile(root / "source" / wheel) as w:
        members = set(w.namelist())
    assert {"gradlab/grading/assignments/classes.toml", "gradlab/reference/classes.py", "gradlab/grading/sandbox/child.py"} <= members
    (root / "submission").mkdir()
    (root / "submission" / "layers.py").write_text((ROOT / "reference" / "classes.py").read_text())
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text('{"score": 1000}')  # a stale or forged file
    env = {**os.environ, "GRADLAB_AUTOGRADER_ROOT": str(root), "GRADLAB_PYTHON": sys.executable}
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=True, timeout=120,
                   capture_output=True)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 100
    assert all(t["status"] == "passed" for t in results["tests"])
    assert (root / "results" / "feedback.md").exists()
    # the image installs the jail, and the submission is graded in it wherever it can run
    assert "apt-get install -y bubblewrap" in (root / "source" / "setup.sh").read_text()
    assert results["extra_data"]["sandbox"] == ("bwrap" if jail.probe() is None else "process")


HELPER = "import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
USES_HELPER = '''
from common.functions import sigmoid


class Sigmoid:
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
'''


def _points(grade, name: str) -> float:
    return next(layer.score for layer in grade.layers if layer.required.name == name)


def test_a_single_file_brings_the_local_modules_it_imports_into_the_sandbox(tmp_path):
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "functions.py").write_text(HELPER)
    (tmp_path / "ch05").mkdir()
    (tmp_path / "ch05" / "layers.py").write_text(USES_HELPER)
    assignment = load_assignment("classes")
    with_helpers = grade_submission(tmp_path / "ch05" / "layers.py", assignment, helpers=True)
    alone = grade_submission(tmp_path / "ch05" / "layers.py", assignment)
    assert _points(with_helpers, "Sigmoid") == 10 and _points(alone, "Sigmoid") == 0
    assert any("common" in note for note in alone.notes)


def test_in_a_class_folder_a_student_never_receives_a_neighbours_file(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(USES_HELPER.replace("from common.functions import sigmoid",
                                                         "from bob import sigmoid"))
    (folder / "bob.py").write_text(HELPER)
    out = tmp_path / "grades"
    assert main(["grade", str(folder), "--assignment", "classes", "--out", str(out), "--no-progress"]) == 0
    alice = json.loads((out / "alice" / "results.json").read_text())
    assert alice["score"] == 0
