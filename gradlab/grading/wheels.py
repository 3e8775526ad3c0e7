"""The wheels a Gradescope bundle carries: gradlab's runtime dependencies, each pinned to the version
installed where the bundle is built, for the image's Python on manylinux x86_64.

The image then installs offline from the zip alone, so every rebuild grades the same way (the
hypothesis version is part of a reproducible grade). The dependency closure is walked here, with
environment markers evaluated for the *target* Python (pip evaluates them for the interpreter that
runs it, so a Python 3.10 image would miss tomli): each round asks `pip download --no-deps` for the
pinned versions and reads the requirements of the wheels it got.
Non-goal: installing them (the bundle's `setup.sh` does, into a virtual environment).
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

#: the Python of the Gradescope base image the bundle targets by default (Ubuntu 24.04's python3)
DEFAULT_PYTHON = "3.12"
#: wheels built for glibc up to this version run on Ubuntu 22.04 and 24.04 images
GLIBC_MINOR = 35


class WheelError(Exception):
    """A wheel the bundle needs could not be found; the message says what to do (one line)."""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def platforms() -> list[str]:
    """Every manylinux x86_64 tag the image accepts (pip does not widen a --platform by itself)."""
    return ["manylinux2014_x86_64", *(f"manylinux_2_{m}_x86_64" for m in range(17, GLIBC_MINOR + 1))]


def marker_environment(python: str) -> dict[str, str]:
    """What a requirement's environment marker sees on the image (CPython `python`, Linux x86_64)."""
    return {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": "linux",
            "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix",
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def requirements_for(requires: list[str] | None, python: str) -> dict[str, str]:
    """Canonical name -> version specifier of each requirement that applies on the image (no extras)."""
    from packaging.requirements import Requirement  # pytest's own dependency: always installed with gradlab

    env = marker_environment(python)
    wanted: dict[str, str] = {}
    for line in requires or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate(env):
            wanted[canonical(req.name)] = str(req.specifier)
    return wanted


def installed_versions() -> dict[str, str]:
    """Canonical name -> version of every distribution installed here: the pins."""
    return {canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()
            if d.metadata["Name"]}


def wheel_name(path: Path) -> tuple[str, str]:
    """(canonical name, version) from a wheel's file name."""
    name, version = path.name.split("-")[:2]
    return canonical(name), version


def wheel_requires(path: Path) -> list[str]:
    """The Requires-Dist lines of a wheel's METADATA."""
    with zipfile.ZipFile(path) as z:
        meta = next(n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        headers = HeaderParser().parsestr(z.read(meta).decode("utf-8", "replace"))
    return headers.get_all("Requires-Dist") or []


def _pip_download(specs: list[str], dest: Path, python: str, source: Path | None) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--implementation", "cp",
           "--python-version", python, "--abi", "cp" + python.replace(".", ""), "--disable-pip-version-check",
           "--dest", str(dest)]
    for tag in platforms():
        cmd += ["--platform", tag]
    env = dict(os.environ)
    if source is not None:  # that folder only: no index, no find-links or constraints from pip's config
        env = {k: v for k, v in env.items() if not k.startswith("PIP_")}
        env["PIP_CONFIG_FILE"] = os.devnull
        cmd += ["--no-index", "--find-links", str(source)]
    done = subprocess.run([*cmd, *specs], capture_output=True, text=True, env=env, timeout=900)
    if done.returncode == 0:
        return
    missing = re.search(r"(?:satisfies the requirement|distribution found for) (\S+)", done.stderr)
    if missing is None:
        last = (done.stderr.strip() or "no message").splitlines()[-1]
        raise WheelError(f"pip could not fetch the bundle's wheels ({last[:300]})")
    raise WheelError(_missing_message(missing.group(1), python, source))


def _missing_message(spec: str, python: str, source: Path | None) -> str:
    fetch = (f"pip download --no-deps --only-binary=:all: --implementation cp --python-version {python} "
             f"--platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d DIR '{spec}'")
    where = f"in {source}" if source is not None else "on the package index"
    return (f"no wheel of {spec} for CPython {python} on manylinux x86_64 {where}: fetch it ({fetch}) and pass "
            f"--wheels DIR, or choose --python-version to match the image's Python")


def vendor_wheels(dest: Path, requires: list[str] | None, *, python: str = DEFAULT_PYTHON,
                  source: Path | None = None) -> list[Path]:
    """Put in `dest` a wheel of every runtime dependency of `requires` (gradlab's Requires-Dist), at
    the version installed here when it is installed here; from `source` (a folder of wheels) when
    given, else from the package index. Raises `WheelError` when one is missing."""
    pins = installed_versions()
    got: dict[str, Path] = {}
    wanted = requirements_for(requires, python)
    while wanted:
        specs = [f"{name}=={pins[name]}" if name in pins else f"{name}{spec}" for name, spec in sorted(wanted.items())]
        _pip_download(specs, dest, python, source)
        on_disk = {wheel_name(p)[0]: p for p in dest.glob("*.whl")}
        new = {name: on_disk[name] for name in wanted if name in on_disk}
        if len(new) < len(wanted):  # pip succeeded, yet a wheel is not there: a name it spells otherwise
            lost = sorted(set(wanted) - set(new))
            raise WheelError(f"pip did not leave a wheel of {', '.join(lost)} in {dest}")
        got.update(new)
        wanted = {}
        for path in new.values():
            for name, spec in requirements_for(wheel_requires(path), python).items():
                if name not in got:
                    wanted[name] = spec
    return sorted(got.values())


def constraints(wheels: list[Path]) -> str:
    """A pip constraints file pinning every wheel to its version."""
    return "".join(f"{name}=={version}\n" for name, version in sorted(wheel_name(p) for p in wheels))
