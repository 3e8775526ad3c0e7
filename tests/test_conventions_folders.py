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
