"""The Gradescope autograder bundle: a zip with `setup.sh`, `run_autograder`, the assignment and gradlab.

Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh` once to build the image, and
runs `run_autograder` for every submission, which must leave `/autograder/results/results.json`.
gradlab itself travels inside the zip as a wheel built at zip time from the installed package
(editable or not), so the image grades with exactly the gradlab that built the bundle; `setup.sh`
installs that wheel and its dependencies (numpy, hypothesis, ... from PyPI).
`GRADLAB_AUTOGRADER_ROOT` (default `/autograder`) and `GRADLAB_PYTHON` (default `python3`) let a
test run `run_autograder` against a fake tree.
Non-goal: uploading anything to Gradescope.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import zipfile
from pathlib import Path

from gradlab import __version__
from gradlab.grading.assignment import BUILTIN, builtin_text, load_assignment

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder image.
set -euo pipefail
cd /autograder/source
PY="${GRADLAB_PYTHON:-python3}"
if ! "$PY" -m pip --version >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3 python3-pip
fi
# the jail student code runs in; where the image cannot run it, grading falls back loudly (results.json says so)
apt-get install -y bubblewrap || echo "bubblewrap could not be installed: grading will use the process sandbox"
"$PY" -m pip install --upgrade pip
"$PY" -m pip install ./WHEEL
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || "$PY" -m pip install tomli
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. Student code runs in gradlab's sandbox; only gradlab
# writes the results file, after every process the submission started is gone.
set -uo pipefail
ROOT="${GRADLAB_AUTOGRADER_ROOT:-/autograder}"
PY="${GRADLAB_PYTHON:-python3}"
mkdir -p "$ROOT/results"
cd "$ROOT/source"
"$PY" -m gradlab grade "$ROOT/submission" --single --assignment "$ROOT/source/assignment.toml" \\
    --results "$ROOT/results/results.json" --feedback "$ROOT/results/feedback.md"
status=$?
if [ $status -ne 0 ] && [ ! -s "$ROOT/results/results.json" ]; then
    printf '{"score": 0, "output": "the autograder could not run (exit status %s); please tell your instructor"}\\n' \\
        "$status" > "$ROOT/results/results.json"
fi
exit 0
"""


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _package_files() -> dict[str, bytes]:
    """Archive path -> bytes of every file of the installed gradlab (and gradlab.reference)."""
    import gradlab
    import gradlab.reference

    files: dict[str, bytes] = {}
    for pkg_dir, prefix in ((Path(gradlab.__file__).parent, "gradlab"),
                            (Path(gradlab.reference.__file__).parent, "gradlab/reference")):
        for p in sorted(pkg_dir.rglob("*")):
            rel = p.relative_to(pkg_dir)
            if p.is_file() and "__pycache__" not in rel.parts and not p.name.endswith((".pyc", ".tmp")):
                if prefix == "gradlab" and rel.parts[0] == "reference":
                    continue
                files[f"{prefix}/{rel.as_posix()}"] = p.read_bytes()
    return files


def build_wheel() -> tuple[str, bytes]:
    """(file name, bytes) of a pure-Python wheel of the installed gradlab, with its metadata."""
    dist = importlib.metadata.distribution("gradlab")
    info = f"gradlab-{__version__}.dist-info"
    files = _package_files()
    files[f"{info}/METADATA"] = (dist.read_text("METADATA") or f"Metadata-Version: 2.1\nName: gradlab\n"
                                 f"Version: {__version__}\n").encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: gradlab\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/entry_points.txt"] = (dist.read_text("entry_points.txt") or "").encode()
    files[f"{info}/top_level.txt"] = b"gradlab\n"
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in files.items())
    files[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return f"gradlab-{__version__}-py3-none-any.whl", buf.getvalue()


def _executable(z: zipfile.ZipFile, name: str, text: str) -> None:
    zi = zipfile.ZipInfo(name)
    zi.external_attr = 0o100755 << 16
    zi.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(zi, text)


def build_bundle(assignment: str, out: Path) -> Path:
    """Write the autograder zip for `assignment` (built-in name or TOML path) to `out`."""
    load_assignment(assignment)  # refuse a bad assignment now, not on Gradescope
    toml = builtin_text(assignment) if assignment in BUILTIN else Path(assignment).read_text(encoding="utf-8")
    wheel_name, wheel = build_wheel()
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        _executable(z, "setup.sh", SETUP_SH.replace("WHEEL", wheel_name))
        _executable(z, "run_autograder", RUN_AUTOGRADER)
        z.writestr("assignment.toml", toml)
        z.writestr(wheel_name, wheel)
    return out
