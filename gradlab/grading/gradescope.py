"""The Gradescope autograder bundle: a zip with `setup.sh`, `run_autograder`, the assignment and wheels.

Gradescope unpacks the zip into `/autograder/source`, runs `setup.sh` once to build the image, and
runs `run_autograder` for every submission, which must leave `/autograder/results/results.json`.
gradlab itself travels inside the zip as a wheel built at zip time from the installed package
(editable or not), so the image grades with exactly the gradlab that built the bundle; its
dependencies travel as wheels too, pinned to the versions installed here, for the image's Python
(`gradlab.grading.wheels`). `setup.sh` makes a virtual environment (`/autograder/gradlab-venv`: the
image's own Python may refuse pip under PEP 668) and installs into it from those wheels only, offline.
`GRADLAB_AUTOGRADER_ROOT` (default `/autograder`), `GRADLAB_BASE_PYTHON` (the interpreter setup.sh
builds the venv from, default `python3`) and `GRADLAB_PYTHON` (the one run_autograder grades with,
default the venv's) let a test run both scripts against a fake tree.
Non-goal: uploading anything to Gradescope.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import re
import tempfile
import zipfile
from pathlib import Path

from gradlab import __version__
from gradlab.grading.assignment import BUILTIN, builtin_text, load_assignment
from gradlab.grading.wheels import DEFAULT_PYTHON, WheelError, constraints, vendor_wheels

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, to build the autograder image. No Python package is downloaded:
# gradlab and its dependencies are installed from the wheels in this zip, pinned when it was built.
set -euo pipefail
ROOT="${GRADLAB_AUTOGRADER_ROOT:-/autograder}"
BASE="${GRADLAB_BASE_PYTHON:-python3}"
VENV="$ROOT/gradlab-venv"
cd "$ROOT/source"
if ! command -v "$BASE" >/dev/null 2>&1; then
    apt-get update && apt-get install -y python3 python3-venv
fi
if ! "$BASE" -c 'import sys; sys.exit(sys.version_info[:2] != (@MAJOR@, @MINOR@))'; then
    echo "this autograder's wheels are for Python @PYTHON@ but $BASE is $("$BASE" -V 2>&1): rebuild the zip" \\
         "with gradlab gradescope --python-version X.Y for the base image's Python" >&2
    exit 1
fi
# a venv, since the image's Python may refuse pip (PEP 668); Debian and Ubuntu ship its pip in python3-venv
rm -rf "$VENV"
if ! "$BASE" -m venv "$VENV"; then
    rm -rf "$VENV"
    apt-get update && apt-get install -y python3-venv
    "$BASE" -m venv "$VENV"
fi
# only the wheels in the zip: no index, and no pip configuration of the image
unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_CONSTRAINT PIP_REQUIREMENT
export PIP_CONFIG_FILE=/dev/null PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install --no-index --find-links ./wheels -c ./wheels/constraints.txt "gradlab==@VERSION@"
# the jail student code runs in; where the image cannot run it, grading falls back loudly (results.json says so)
command -v bwrap >/dev/null 2>&1 || { apt-get update && apt-get install -y bubblewrap; } \\
    || echo "bubblewrap could not be installed: grading will use the process sandbox"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission. Student code runs in gradlab's sandbox; only gradlab
# writes the results file, after every process the submission started is gone.
set -uo pipefail
ROOT="${GRADLAB_AUTOGRADER_ROOT:-/autograder}"
PY="${GRADLAB_PYTHON:-$ROOT/gradlab-venv/bin/python}"
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


def _metadata(dist: importlib.metadata.Distribution) -> str:
    """The wheel's METADATA, with every runtime dependency as a Requires-Dist line: an editable install may
    be found as a source tree's `gradlab.egg-info` (a PKG-INFO, its requirements in requires.txt), which
    without them would make a wheel that installs none of its dependencies."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or \
        f"Metadata-Version: 2.1\nName: gradlab\nVersion: {__version__}\n"
    if "\nRequires-Dist:" not in text:
        head, sep, body = text.partition("\n\n")
        head = head.rstrip("\n") + "".join(f"\nRequires-Dist: {r}" for r in dist.requires or [])
        text = head + "\n" + (sep + body if sep else "")
    return text


def build_wheel() -> tuple[str, bytes]:
    """(file name, bytes) of a pure-Python wheel of the installed gradlab, with its metadata."""
    dist = importlib.metadata.distribution("gradlab")
    info = f"gradlab-{__version__}.dist-info"
    files = _package_files()
    files[f"{info}/METADATA"] = _metadata(dist).encode()
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


def setup_script(python: str) -> str:
    """setup.sh for an image whose Python is `python` ("3.12")."""
    major, minor = python.split(".")
    return (SETUP_SH.replace("@MAJOR@", major).replace("@MINOR@", minor).replace("@PYTHON@", python)
            .replace("@VERSION@", __version__))


def build_bundle(assignment: str, out: Path, *, python: str = DEFAULT_PYTHON, wheels: Path | None = None) -> Path:
    """Write the autograder zip for `assignment` (built-in name or TOML path) to `out`, with the wheels
    of gradlab's dependencies for CPython `python`: from the folder `wheels` when given (nothing is
    downloaded), else from the package index. Raises `WheelError` when a wheel is missing."""
    if not re.fullmatch(r"3\.\d{1,2}", python):
        raise WheelError(f"--python-version {python!r}: give the image's Python as 3.X, e.g. {DEFAULT_PYTHON}")
    load_assignment(assignment)  # refuse a bad assignment now, not on Gradescope
    toml = builtin_text(assignment) if assignment in BUILTIN else Path(assignment).read_text(encoding="utf-8")
    wheel_name, wheel = build_wheel()
    requires = importlib.metadata.distribution("gradlab").requires
    with tempfile.TemporaryDirectory(prefix="gradlab-wheels-") as tmp:
        deps = vendor_wheels(Path(tmp), requires, python=python, source=wheels)
        pins = constraints(deps) + f"gradlab=={__version__}\n"
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            _executable(z, "setup.sh", setup_script(python))
            _executable(z, "run_autograder", RUN_AUTOGRADER)
            z.writestr("assignment.toml", toml)
            z.writestr(f"wheels/{wheel_name}", wheel)
            z.writestr("wheels/constraints.txt", pins)
            for path in deps:  # already compressed
                z.write(path, f"wheels/{path.name}", compress_type=zipfile.ZIP_STORED)
    return out
