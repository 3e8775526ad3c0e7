"""A repository checked from its root as published: the virtual environment learners commit is not read.

Learners' repositories often hold their environment (`venv/lib/python2.7/site-packages`, a Windows
`neural_network/Lib/site-packages` with `pyvenv.cfg`): numpy's own files there are not the project's layers,
and importing them gave file errors (exit status 1) on a project whose layers all pass. The folders below
are built the same way, with a wrong layer inside the environment that would fail if it were read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.conventions.import_budget import import_time_limit

LAYER = '''
import numpy as np


class Sigmoid:
    def forward(self, x):
        self.out = 1.0 / (1.0 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * {factor}(1.0 - self.out)
'''


def _project(root: Path, environment: str, marks: tuple[str, ...], packages: str) -> None:
    (root / "common").mkdir(parents=True)
    (root / "common" / "layers.py").write_text(LAYER.format(factor=""))
    env = root / environment
    for mark in marks:
        (env / mark).parent.mkdir(parents=True, exist_ok=True)
        (env / mark).write_text("")
    installed = env / packages / "somepkg"
    installed.mkdir(parents=True)
    (installed / "layers.py").write_text(LAYER.format(factor="2 * "))
    (installed / "broken.py").write_text("from . import missing\nclass Relu:\n    def forward(self, x): pass\n"
                                         "    def backward(self, d): pass\n")


@pytest.mark.parametrize("environment, marks, packages", [
    pytest.param("venv", ("pyvenv.cfg", "bin/activate"), "lib/python3.11/site-packages", id="venv"),
    pytest.param("neural_network", ("pyvenv.cfg", "Scripts/activate.bat"), "Lib/site-packages", id="windows-venv"),
    pytest.param("env", ("bin/activate", "bin/activate_this.py"), "lib/python2.7/site-packages",
                 id="python-2-virtualenv-without-pyvenv-cfg"),
])
def test_a_committed_virtual_environment_is_not_read(tmp_path, monkeypatch, environment, marks, packages):
    _project(tmp_path / "repo", environment, marks, packages)
    monkeypatch.chdir(tmp_path / "repo")
    out = tmp_path / "out.json"
    status = main(["check", ".", "--json", str(out), "--examples", "10", "--no-fix-search"])
    result = json.loads(out.read_text())
    assert [layer["source"] for layer in result["layers"]] == ["common/layers.py"]
    assert result["errors"] == []
    assert status == 0
    assert any(s["name"] == environment and "virtual environment" in s["reason"] for s in result["skipped"])


def test_the_layer_inside_would_have_failed_had_it_been_read(tmp_path, monkeypatch):
    # the same files outside an environment: the wrong layer is found and fails
    _project(tmp_path / "repo", "vendor", (), "lib/site-packages-copy")
    monkeypatch.chdir(tmp_path / "repo")
    out = tmp_path / "out.json"
    status = main(["check", ".", "--json", str(out), "--examples", "10", "--no-fix-search"])
    verdicts = {layer["source"]: layer["verdict"] for layer in json.loads(out.read_text())["layers"]}
    assert verdicts["vendor/lib/site-packages-copy/somepkg/layers.py"] == "fail"
    assert status == 1


def _folder_with_a_script(root: Path, script: str) -> None:
    (root / "common").mkdir(parents=True)
    (root / "common" / "layers.py").write_text(LAYER.format(factor=""))
    (root / "train.py").write_text("import numpy as np\nfrom common.layers import Sigmoid\n\n\n" + script)


def _run(root: Path, target: str, monkeypatch, tmp_path: Path) -> tuple[int, dict]:
    monkeypatch.chdir(root)
    out = tmp_path / "out.json"
    status = main(["check", target, "--json", str(out), "--examples", "10", "--no-fix-search"])
    return status, json.loads(out.read_text())


def test_a_python_2_script_in_a_folder_is_set_aside_saying_so(tmp_path, monkeypatch):
    _folder_with_a_script(tmp_path / "repo", 'class Relu:\n    def forward(self, x):\n        print "x", x\n'
                                             '        return x\n    def backward(self, d):\n        return d\n')
    status, result = _run(tmp_path / "repo", ".", monkeypatch, tmp_path)
    assert result["errors"] == [] and status == 0
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "train.py"]
    assert reason.startswith("syntax error of Python 2 code") and "2to3" in reason


def test_the_python_2_file_named_on_its_own_is_an_error_that_says_python_2(tmp_path, monkeypatch):
    _folder_with_a_script(tmp_path / "repo", "try:\n    pass\nexcept ValueError, e:\n    pass\n")
    status, result = _run(tmp_path / "repo", "train.py", monkeypatch, tmp_path)
    assert status == 1
    assert len(result["errors"]) == 1 and "Python 2 code" in str(result["errors"][0])


def test_a_python_3_syntax_error_in_a_folder_stays_an_error(tmp_path, monkeypatch):
    _folder_with_a_script(tmp_path / "repo", "class Relu:\n    def forward(self, x)\n        return x\n")
    status, result = _run(tmp_path / "repo", ".", monkeypatch, tmp_path)
    assert status == 1
    assert len(result["errors"]) == 1 and "syntax error" in str(result["errors"][0])


def test_a_script_that_trains_at_its_top_level_is_cut_short_and_the_folders_layers_are_still_checked(
        tmp_path, monkeypatch):
    from gradlab.conventions import discover as discovering

    monkeypatch.setattr(discovering, "import_time_limit", lambda: import_time_limit(0.5))
    _folder_with_a_script(tmp_path / "repo", "class Relu:\n    def forward(self, x):\n        return x\n"
                                             "    def backward(self, d):\n        return d\n\n\n"
                                             "while True:  # a training loop run on import\n"
                                             "    try:\n        np.zeros(10).sum()\n"
                                             "    except Exception:\n        pass\n")
    status, result = _run(tmp_path / "repo", ".", monkeypatch, tmp_path)
    assert [layer["source"] for layer in result["layers"]] == ["common/layers.py"] and status == 0
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "train.py"]
    assert "ran for over 0.5 s" in reason and "__main__" in reason


FAST = '''
import numpy as np
from .helpers import *


def relu_forward_fast(x):
    return positive_part(x), x


def relu_backward_fast(dout, cache):
    return dout * (cache > 0)
'''


def test_a_name_its_star_import_does_not_provide_sets_the_layer_aside(tmp_path, monkeypatch):
    # CS231n's fast_layers.py calls im2col, which `from .im2col import *` does not define
    pkg = tmp_path / "repo" / "cs231n"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "helpers.py").write_text("import numpy as np\n")
    (pkg / "fast_layers.py").write_text(FAST)
    status, result = _run(tmp_path / "repo", "cs231n", monkeypatch, tmp_path)
    assert result["layers"] == []
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "relu_fast"]
    assert "positive_part (its `from .helpers import *` does not provide it) is missing" in reason
    (pkg / "helpers.py").write_text("import numpy as np\n\n\ndef positive_part(x):\n    return np.maximum(x, 0)\n")
    status, result = _run(tmp_path / "repo", "cs231n", monkeypatch, tmp_path)
    assert [(layer["name"], layer["verdict"]) for layer in result["layers"]] == [("relu_fast", "pass")]


def test_a_misspelt_name_in_a_file_without_a_star_import_stays_a_crash(tmp_path, monkeypatch):
    pkg = tmp_path / "repo" / "cs231n"
    pkg.mkdir(parents=True)
    (pkg / "fast_layers.py").write_text(FAST.replace("from .helpers import *\n", ""))
    status, result = _run(tmp_path / "repo", "cs231n", monkeypatch, tmp_path)
    (layer,) = result["layers"]
    assert layer["verdict"] == "fail" and layer["bug_codes"] == ["crashed"]
