"""A folder as course repositories hold them: only files that could define a layer are imported,
their prints stay off stdout, errors name the file being checked, CS231n's fast variants keep
their own names and an alias is checked once."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from gradlab.cli.main import main
from gradlab.conventions.discover import NOT_IMPORTED, could_hold_layers, discover, entry_for, find_layers, load_module
from gradlab.schemas import schema

RELU = """
    import numpy as np


    def relu_forward(x):
        return np.maximum(0, x), x


    def relu_backward(dout, cache):
        return dout * (cache > 0)
"""

# CS231n's fast_layers.py habits: suffixed pairs, a dispatcher, and aliases of the same functions
FAST = """
    import numpy as np


    def relu_forward_naive(x):
        return np.maximum(0, x), x


    def relu_backward_naive(dout, cache):
        return dout * (cache > 0)


    def relu_forward_strides(x):
        return np.maximum(0, x), x


    def relu_backward_strides(dout, cache):
        return dout * (cache > 0)


    def relu_forward_reshape(x):
        return np.maximum(0, x.reshape(-1)).reshape(x.shape), x


    def relu_backward_reshape(dout, cache):
        return dout * (cache > 0)


    relu_forward_fast = relu_forward_strides
    relu_backward_fast = relu_backward_strides
"""

TRAIN = """
    from pathlib import Path
    print("downloading MNIST ...")
    Path(__file__).with_name("ran.txt").write_text("imported")
    raise SystemExit("no network")
"""

SETUP = """
    from setuptools import setup
    setup(name="course")
"""


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _course(root: Path) -> Path:
    return _tree(root, {
        "cs231n/__init__.py": "",
        "cs231n/layers.py": RELU,
        "cs231n/layer_utils.py": "from .layers import *\n\n\ndef relu_twice_forward(x):\n    return relu_forward(x)\n",
        "cs231n/fast_layers.py": FAST,
        "cs231n/data_utils.py": "import pickle\n\n\ndef load(path):\n    return pickle.load(open(path, 'rb'))\n",
        "train.py": TRAIN,
        "setup.py": SETUP,
    })


# --- which files are imported ------------------------------------------------------------------


def test_a_folder_skips_training_scripts_and_setup_py_without_running_them(tmp_path):
    repo = _course(tmp_path / "course")
    found = {Path(f.path).relative_to(repo).as_posix(): f for f in discover([repo])}
    assert not (repo / "ran.txt").exists()  # train.py never ran
    for name in ("train.py", "setup.py", "cs231n/__init__.py", "cs231n/data_utils.py"):
        assert found[name].error is None and found[name].entries == []
        assert found[name].skipped == [(str(repo / name), NOT_IMPORTED)]
    assert [e.name for e in found["cs231n/layers.py"].entries] == ["relu"]
    assert [name for name, _ in found["cs231n/layer_utils.py"].skipped] == ["relu_twice"]  # imported and read


def test_a_file_named_on_the_command_line_is_imported_even_when_it_defines_no_layer(tmp_path):
    repo = _course(tmp_path / "course")
    (found,) = discover([repo / "train.py"])
    assert (repo / "ran.txt").read_text() == "imported"
    assert found.error is not None and "SystemExit" in found.error


@pytest.mark.parametrize("source", [
    "class Affine:\n    pass\n",
    "class Fully_Connected:\n    pass\n",
    "class Net:\n    def forward(self, x): ...\n    def backward(self, d): ...\n",
    "def layernorm_forward(x): ...\n",
    "def batchnorm_backward_alt(d, c): ...\n",
    "def svm_loss(x, y): ...\n",
    "import gradlab\n",
    "from gradlab.conventions.registry import register\n",
    "try:\n    import cython_part\nexcept ImportError:\n    def conv_forward_fast(x): ...\n",
    "if True:\n    class Relu:\n        pass\n",
    "relu_forward = lambda x: (x, x)\n",
    "def f(:\n",  # does not parse: imported, so the syntax error is reported
], ids=["known-class", "known-class-underscored", "forward-and-backward-methods", "unknown-forward-function",
        "backward-function", "loss-function", "imports-gradlab", "imports-from-gradlab", "under-try",
        "under-if", "assigned-lambda", "syntax-error"])
def test_a_file_could_hold_a_layer_when_its_source_defines_one_in_any_way_discovery_recognises(tmp_path, source):
    path = tmp_path / "candidate.py"
    path.write_text(source)
    assert could_hold_layers(path)


@pytest.mark.parametrize("source", [
    "",
    "import numpy as np\nprint(np.zeros(3))\n",
    "def load_cifar10(root): ...\nclass Solver:\n    def train(self): ...\n",
    "class Net:\n    def forward(self, x): ...\n",  # forward alone is not a layer
    "class Net:\n    def affine_forward(self, x): ...\n",  # a method, not a module-level function
    "def main():\n    def relu_forward(x): ...\n",  # nested: never a module attribute
    "import gradlab_notes\n",
], ids=["empty", "script", "helpers", "forward-only", "method-named-like-a-layer", "nested-function",
        "a-module-named-like-gradlab"])
def test_a_file_that_defines_no_layer_could_not_hold_one(tmp_path, source):
    path = tmp_path / "candidate.py"
    path.write_text(source)
    assert not could_hold_layers(path)


def test_hidden_folders_such_as_notebook_checkpoints_are_not_searched(tmp_path):
    repo = _tree(tmp_path / "course", {"layers.py": RELU, ".ipynb_checkpoints/layers-checkpoint.py": RELU,
                                       ".venv/lib/site.py": RELU})
    assert [Path(f.path).name for f in discover([repo])] == ["layers.py"]
    assert len(discover([repo / ".ipynb_checkpoints"])) == 1  # named explicitly, it is searched


# --- prints and errors -------------------------------------------------------------------------


def test_what_a_file_prints_while_it_is_imported_goes_to_stderr(tmp_path, capsys):
    path = _tree(tmp_path, {"layers.py": "print('hello from layers')\n" + textwrap.dedent(RELU)}) / "layers.py"
    (found,) = discover([path])
    assert [e.name for e in found.entries] == ["relu"]
    out, err = capsys.readouterr()
    assert "hello from layers" not in out and "hello from layers" in err


def test_a_syntax_error_in_a_shared_module_names_the_file_being_checked_and_the_module(tmp_path):
    repo = _course(tmp_path / "course")
    (repo / "cs231n" / "layers.py").write_text(textwrap.dedent(RELU) + "def broken(:\n")
    errors = {Path(f.path).name: f.error for f in discover([repo / "cs231n"]) if f.error}
    layers_line = len(textwrap.dedent(RELU).splitlines()) + 1
    assert errors["layers.py"].startswith(f"{repo / 'cs231n' / 'layers.py'}:{layers_line}: syntax error")
    assert errors["layer_utils.py"].startswith(
        f"{repo / 'cs231n' / 'layer_utils.py'} (through layers.py:{layers_line}): syntax error")


def test_an_exception_raised_in_a_shared_module_names_the_file_being_checked_and_where_it_was_raised(tmp_path):
    repo = _course(tmp_path / "course")
    (repo / "cs231n" / "layers.py").write_text("x = 1\nraise RuntimeError('no data')\n" + textwrap.dedent(RELU))
    errors = {Path(f.path).name: f.error for f in discover([repo / "cs231n"]) if f.error}
    assert errors["layer_utils.py"].startswith(
        f"{repo / 'cs231n' / 'layer_utils.py'} (through layers.py, line 2) raised RuntimeError while being imported "
        "(line 1): no data")
    assert errors["layers.py"].startswith(f"{repo / 'cs231n' / 'layers.py'} raised RuntimeError")


# --- names of fast variants and aliases ------------------------------------------------------------


def test_suffixed_pairs_are_named_stem_and_suffix_while_naive_keeps_the_plain_stem(tmp_path):
    found = find_layers(load_module(_tree(tmp_path, {"fast_layers.py": FAST}) / "fast_layers.py"))
    assert [e.name for e in found.entries] == ["relu", "relu_strides", "relu_reshape"]
    assert {e.kind for e in found.entries} == {"relu"}


def test_an_alias_of_a_pair_is_checked_once_under_the_first_name_and_listed_as_skipped(tmp_path):
    found = find_layers(load_module(_tree(tmp_path, {"fast_layers.py": FAST}) / "fast_layers.py"))
    assert "relu_fast" not in [e.name for e in found.entries]
    assert dict(found.skipped)["relu_fast"] == ("relu_forward_fast is the same function as relu_forward_strides; "
                                                "checked once, as relu_strides")


def test_an_alias_of_a_class_is_checked_once_under_the_first_name(tmp_path):
    source = "class Relu:\n    def forward(self, x): return x\n    def backward(self, d): return d\n\nReLU = Relu\n"
    found = find_layers(load_module(_tree(tmp_path, {"layers.py": source}) / "layers.py"))
    assert [e.name for e in found.entries] == ["Relu"]
    assert dict(found.skipped)["ReLU"] == "ReLU is the same class as Relu; checked once, as Relu"


def test_entry_for_names_a_suffixed_pair_by_stem_and_suffix(tmp_path):
    module = load_module(_tree(tmp_path, {"fast_layers.py": FAST}) / "fast_layers.py")
    assert entry_for(module.relu_forward_reshape, module.relu_backward_reshape).name == "relu_reshape"
    assert entry_for(module.relu_forward_naive, module.relu_backward_naive).name == "relu"


# --- the command, on a course-like folder ------------------------------------------------------------


def test_checking_a_course_folder_keeps_stdout_to_verdicts_and_runs_no_script(tmp_path, capsys):
    repo = _course(tmp_path / "course")
    (repo / "cs231n" / "fast_layers.py").write_text("print('compiling im2col ...')\n" + textwrap.dedent(FAST).replace(
        "    return dout * (cache > 0)", "    print('in backward')\n    return dout * (cache > 0)", 1))
    out_json = tmp_path / "out.json"
    assert main(["check", str(repo), "--examples", "3", "--json", str(out_json)]) == 0
    out, err = capsys.readouterr()
    assert "compiling im2col" not in out and "in backward" not in out and "downloading" not in out
    assert "compiling im2col" in err and "in backward" in err
    assert not (repo / "ran.txt").exists()
    document = json.loads(out_json.read_text())
    assert sorted(layer["name"] for layer in document["layers"]) == ["relu", "relu", "relu_reshape", "relu_strides"]
    skipped = {s["name"]: s["reason"] for s in document["skipped"]}
    assert skipped[str(repo / "train.py")] == NOT_IMPORTED and skipped[str(repo / "setup.py")] == NOT_IMPORTED
    assert document["notes"] == []


def test_only_matches_layer_names_in_any_case(tmp_path, capsys):
    path = _tree(tmp_path, {"fast_layers.py": FAST}) / "fast_layers.py"
    assert main(["check", str(path), "--examples", "3", "--only", "RELU_Reshape", "--only", "Relu_STRIDES"]) == 0
    out = capsys.readouterr().out
    assert "PASS relu_reshape" in out and "PASS relu_strides" in out
    assert "PASS relu " not in out and "2 passed" in out


def test_when_no_layer_is_recognised_the_json_document_says_why(tmp_path, capsys):
    repo = _tree(tmp_path / "scripts", {"train.py": TRAIN, "setup.py": SETUP})
    out_json = tmp_path / "out.json"
    assert main(["check", str(repo), "--json", str(out_json)]) == 1
    document = json.loads(out_json.read_text())
    jsonschema.Draft202012Validator(schema("gradlab-check/1")).validate(document)
    assert document["layers"] == [] and len(document["notes"]) == 1
    assert document["notes"][0].startswith(f"no layers recognised in {repo}")
    assert document["notes"][0] in capsys.readouterr().out
