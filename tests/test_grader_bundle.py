"""The Gradescope bundle carries pinned wheels of gradlab's dependencies, and its setup.sh installs
them offline into a virtual environment that run_autograder grades with. No test here downloads
anything: the wheels are repacked from this environment (`tests/local_wheels.py`)."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from local_wheels import PYTHON, wheelhouse

from gradlab.cli.main import main
from gradlab.grading.sandbox import jail
from gradlab.grading.wheels import requirements_for, wheel_name

ROOT = Path(__file__).parent.parent
#: any attempt to reach the network from pip goes nowhere
OFFLINE = {"http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9",
           "HTTPS_PROXY": "http://127.0.0.1:9", "PIP_INDEX_URL": "http://127.0.0.1:9/simple"}


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    folder = tmp_path_factory.mktemp("wheels")
    return folder, wheelhouse(folder)


def bundle(tmp_path: Path, folder: Path) -> Path:
    out = tmp_path / "autograder.zip"
    assert main(["gradescope", "classes", "--out", str(out), "--wheels", str(folder), "--python-version", PYTHON]) == 0
    return out


def test_the_bundle_vendors_every_runtime_dependency_at_the_version_installed_here(tmp_path, wheels):
    folder, versions = wheels
    with zipfile.ZipFile(bundle(tmp_path, folder)) as z:
        vendored = dict(wheel_name(Path(n)) for n in z.namelist() if n.startswith("wheels/") and n.endswith(".whl"))
        pins = z.read("wheels/constraints.txt").decode().split()
    assert {"numpy", "hypothesis", "sortedcontainers", "pytest"} <= set(vendored)
    assert vendored == {**versions, "gradlab": importlib.metadata.version("gradlab")}
    assert sorted(pins) == sorted(f"{n}=={v}" for n, v in vendored.items())


def test_a_missing_wheel_is_a_one_line_error_saying_what_to_do(tmp_path, capsys):
    versions = wheelhouse(tmp_path / "wheels", skip=("numpy",))
    out = tmp_path / "autograder.zip"
    assert main(["gradescope", "classes", "--out", str(out), "--wheels", str(tmp_path / "wheels"),
                 "--python-version", PYTHON]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and not out.exists()
    assert f"no wheel of numpy=={versions['numpy']} for CPython {PYTHON}" in err
    assert "pip download" in err and "--wheels DIR" in err


def test_the_dependencies_follow_the_markers_of_the_images_python_not_this_one():
    requires = importlib.metadata.distribution("gradlab").requires
    assert "tomli" in requirements_for(requires, "3.10")
    assert "tomli" not in requirements_for(requires, "3.12")
    assert "matplotlib" not in requirements_for(requires, "3.12")  # an extra, not a runtime dependency


def test_setup_installs_offline_into_a_venv_that_run_autograder_grades_with(tmp_path, wheels):
    folder, versions = wheels
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle(tmp_path, folder)) as z:
        z.extractall(root / "source")
    env = {**os.environ, **OFFLINE, "GRADLAB_AUTOGRADER_ROOT": str(root), "GRADLAB_BASE_PYTHON": sys._base_executable}
    env.pop("GRADLAB_PYTHON", None)
    setup = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                           timeout=600)
    assert setup.returncode == 0, setup.stderr[-2000:]
    venv_python = root / "gradlab-venv" / "bin" / "python"
    probe = "import json, importlib.metadata as m; print(json.dumps({d.metadata['Name'].lower(): d.version " \
            "for d in m.distributions()}))"
    installed = json.loads(subprocess.run([str(venv_python), "-c", probe], capture_output=True, text=True,
                                          check=True).stdout)
    assert {n: installed.get(n) for n in versions} == versions, installed
    # a submission graded by run_autograder, with the venv's interpreter (GRADLAB_PYTHON unset)
    (root / "submission").mkdir()
    (root / "submission" / "layers.py").write_text((ROOT / "reference" / "classes.py").read_text())
    subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, check=True, timeout=300,
                   capture_output=True)
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 100, results.get("output", "")[:2000]
    assert results["extra_data"]["sandbox"] == ("bwrap" if jail.probe() is None else "process")


def test_setup_refuses_in_one_line_an_image_whose_python_is_not_the_wheels_one(tmp_path):
    from gradlab.grading.gradescope import setup_script

    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    other = f"3.{sys.version_info[1] - 1}"  # not this interpreter's Python
    (root / "source" / "setup.sh").write_text(setup_script(other))
    env = {**os.environ, **OFFLINE, "GRADLAB_AUTOGRADER_ROOT": str(root), "GRADLAB_BASE_PYTHON": sys.executable}
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 1 and not (root / "gradlab-venv").exists()
    assert len(done.stderr.strip().splitlines()) == 1
    assert f"wheels are for Python {other}" in done.stderr and "--python-version" in done.stderr
