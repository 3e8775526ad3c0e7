"""A uid per sandbox in the plain process sandbox (no bubblewrap) when the grader runs as root: two
students graded side by side cannot see or rewrite each other's files. The grader runs from a venv of
the system Python (a world-readable interpreter, as on Gradescope's image), installed offline from
wheels repacked here; an attacker sorted first hunts for a classmate's scratch files while the
classmate's import waits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from local_wheels import wheelhouse

from gradlab.grading.gradescope import build_wheel

HOSTILE = Path(__file__).parent / "hostile"
SYSTEM_PYTHON = "/usr/bin/python3"

ATTACKER = '''
import glob, os, time
boxes = os.path.dirname(os.path.dirname(os.path.dirname(os.getcwd())))  # the grader's TMPDIR
seen, touched, end = set(), set(), time.monotonic() + 6
while time.monotonic() < end and not touched:
    for path in glob.glob(os.path.join(boxes, "gradlab-box-*", "box", "work", "**", "*.py"), recursive=True):
        if path.startswith(os.getcwd()):
            continue
        seen.add(path)
        try:
            with open(path, "a") as f:
                f.write("\\n\\nclass Relu:\\n    def forward(self, x):\\n        return x\\n"
                        "    def backward(self, dout):\\n        return dout\\n")
            touched.add(path)
        except OSError:
            pass
    time.sleep(0.05)
print(f"ATTACK seen {len(seen)} touched {len(touched)}")
'''


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=600, **kw)


@pytest.fixture(scope="module")
def world_readable_grader():
    """A gradlab installed in a venv of the system Python, in a folder every user may traverse."""
    if os.geteuid() != 0 or not os.path.exists(SYSTEM_PYTHON):
        pytest.skip("needs root and a system Python")
    if run([SYSTEM_PYTHON, "-c", "import sys; print(sys.version_info[:2])"]).stdout.strip() != "(3, 11)":
        pytest.skip("the repacked wheels are for Python 3.11")
    base = Path(tempfile.mkdtemp(prefix="gradlab-uid-test-"))
    try:
        base.chmod(0o755)
        wheels = base / "wheels"
        wheelhouse(wheels)
        name, data = build_wheel()
        (wheels / name).write_bytes(data)
        run([SYSTEM_PYTHON, "-m", "venv", str(base / "venv")])
        run([str(base / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--find-links",
             str(wheels), str(wheels / name)], env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_two_students_graded_side_by_side_as_root_cannot_touch_each_others_files(world_readable_grader, tmp_path):
    base = world_readable_grader
    work = Path(tempfile.mkdtemp(dir=base, prefix="run-"))
    work.chmod(0o755)  # the grader's TMPDIR: sandboxes' scratch folders are made here
    klass = tmp_path / "class"
    (klass / "b_victim").mkdir(parents=True)
    (klass / "a_attacker.py").write_text((HOSTILE / "good_layers.py").read_text() + ATTACKER)
    (klass / "b_victim" / "a_wait.py").write_text("import time\ntime.sleep(3)\n")  # imported first
    (klass / "b_victim" / "layers.py").write_text((HOSTILE / "good_layers.py").read_text())
    toml = tmp_path / "a.toml"
    toml.write_text('name = "uids"\nconvention = "class"\nseed = 1\nexamples = 3\n[limits]\nimport_timeout = 20\n'
                    + "".join(f'[[layers]]\nname = "{n}"\npoints = 10\n' for n in ("Relu", "Sigmoid", "Tanh")))
    env = {"PATH": os.environ["PATH"], "TMPDIR": str(work), "GRADLAB_UID_CLAIMS": str(tmp_path / "claims"),
           "HOME": str(tmp_path)}
    run([str(base / "venv" / "bin" / "python"), "-m", "gradlab", "grade", str(klass), "--assignment", str(toml),
         "--sandbox", "process", "--jobs", "2", "--out", str(tmp_path / "out"), "--no-progress"], env=env, cwd=tmp_path)
    victim = json.loads((tmp_path / "out" / "b_victim" / "results.json").read_text())
    attacker = (tmp_path / "out" / "a_attacker" / "feedback.md").read_text()
    assert "ATTACK seen 0 touched 0" in attacker
    assert victim["score"] == 30
    assert not list((tmp_path / "claims").iterdir())  # every uid released
