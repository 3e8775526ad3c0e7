"""The jail around a sandboxed child: a bubblewrap command line that shows it almost nothing.

Under `bwrap` the child gets its own user (uid 65534, no capabilities, no further user namespaces),
pid, network (loopback only, down), IPC, UTS and mount namespaces, dies with the grader, and sees:
- read-only: `/usr` (system libraries), the dynamic loader's cache, the interpreter's own prefix with
  its site-packages hidden, and under `LIB` only the files of the third-party packages and of the
  gradlab subpackages the child imports (found once per grader process by a probe), and scipy where it is
  installed (a student's `scipy.special.expit` sigmoid or `scipy.signal.correlate2d` convolution, which
  `gradlab check` runs);
- a size-limited writable tmpfs `WORK` (its home, cwd and TMPDIR) where the child stages its copy of
  the submission from the read-only `SUBMISSION`;
- its own `/proc` and a minimal `/dev`.
Not visible: the reference layers, the rest of gradlab (the grader, its assignments), other
packages, other submissions, the grader's output folder, `/etc`, `/tmp`, `/root`, the host's
processes. rlimits set by the child itself stay as a second layer.
Non-goal: running anything (that is `gradlab.grading.sandbox.process`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import gradlab

#: where the child's libraries, its scratch folder and its read-only submission appear in the jail
LIB, WORK, SUBMISSION = "/opt/gradlab-lib", "/work", "/submission"
#: the gradlab subpackages the child may import from; the probe imports all of their modules, so a
#: module imported lazily (at construct time, say) is visible too. A fix search (an assignment's `show_fix`)
#: runs the check and the search where the student's code runs: `cases` and `fixes` (and hypothesis)
CHILD_SUBPACKAGES = ("gradlab.core", "gradlab.kinds", "gradlab.conventions", "gradlab.cases", "gradlab.fixes")
#: what the child runs first: its libraries on the path, then the ordinary child
BOOT = f"import sys; sys.path.insert(0, {LIB!r}); from gradlab.grading.sandbox.child import main; main()"

# modules loaded before the probe's first line (site's .pth hooks, an editable install's finder) are
# the grader's installation, not the child's needs
_PROBE = """
import sys
preloaded = set(sys.modules)
import importlib, json, pkgutil
import numpy
import gradlab.grading.sandbox.child, gradlab.grading.sandbox.wire
import gradlab.registry  # the public `register` decorator submissions may import, as the reference zoo does
try:  # scipy, where installed: `gradlab check` imports a student's scipy.special.expit or correlate2d, so grade must
    import scipy  # noqa: F401 - its whole package is bound read-only (a submodule is imported only when asked)
except ImportError:
    pass
for name in sys.argv[1:]:
    pkg = importlib.import_module(name)
    for info in pkgutil.walk_packages(pkg.__path__, name + "."):
        importlib.import_module(info.name)
print(json.dumps(sorted({m.__file__ for n, m in list(sys.modules.items())
                          if n not in preloaded and getattr(m, "__file__", None)})))
"""


class JailUnavailable(Exception):
    """bubblewrap is missing or cannot build a jail here; the message says why."""


def _site_dirs() -> list[Path]:
    """Every site-packages folder the grader's interpreter knows (venv and base)."""
    dirs = {Path(p) for p in sys.path if p.endswith(("site-packages", "dist-packages"))}
    for base in (sys.prefix, sys.base_prefix):
        paths = sysconfig.get_paths(vars={"base": base, "platbase": base})
        dirs |= {Path(paths["purelib"]), Path(paths["platlib"])}
    return sorted(d for d in dirs if d.is_dir())


@functools.lru_cache(maxsize=1)
def library_binds() -> tuple[tuple[str, str], ...]:
    """(host path, jail path) of every library file or folder the child needs, found by a probe."""
    done = subprocess.run([sys.executable, "-I", "-B", "-c", _PROBE, *CHILD_SUBPACKAGES], capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    if done.returncode != 0:
        raise JailUnavailable(f"the child's imports failed outside the jail: {done.stderr.strip()[-300:]}")
    files = [Path(f) for f in json.loads(done.stdout)]
    package = Path(gradlab.__file__).resolve().parent
    binds: dict[str, str] = {}
    for f in files:
        f = f.resolve()
        if f.is_relative_to(package):
            binds[str(f)] = f"{LIB}/gradlab/{f.relative_to(package).as_posix()}"
            continue
        for site in _site_dirs():
            if f.is_relative_to(site.resolve()):
                top = site.resolve() / f.relative_to(site.resolve()).parts[0]
                # compiled wheels keep their shared libraries next to the package (numpy.libs)
                for entry in (top, top.with_name(top.name + ".libs")):
                    if entry.exists() and entry.name != "gradlab":
                        binds[str(entry)] = f"{LIB}/{entry.name}"
                break
    return tuple(sorted(binds.items()))


@functools.lru_cache(maxsize=1)
def _bwrap_help() -> str:
    exe = shutil.which("bwrap")
    if exe is None:
        raise JailUnavailable("bubblewrap is not installed (apt-get install -y bubblewrap)")
    done = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=30)
    return done.stdout + done.stderr


def _prefixes() -> list[str]:
    return sorted({str(Path(p).resolve()) for p in (sys.base_prefix, sys.base_exec_prefix)})


def _system_view() -> list[str]:
    """Read-only system libraries and the interpreter's prefix, its site-packages hidden."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/lib", "/lib64", "/bin", "/sbin"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    if os.path.exists("/etc/ld.so.cache"):  # Debian's multiarch libraries are found through it
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    prefixes = _prefixes()
    for prefix in prefixes:
        if not prefix.startswith("/usr"):
            args += ["--ro-bind", prefix, prefix]
    # site-packages under a bound tree would show every installed package (and an installed
    # gradlab.reference): an empty read-only tmpfs goes over each
    for site in _site_dirs():
        real = str(site.resolve())
        if real.startswith("/usr/") or any(real.startswith(p + "/") for p in prefixes):
            args += ["--tmpfs", real, "--remount-ro", real]
    return args


def bwrap_command(python_args: list[str], submission: Path, *, scratch_mb: int) -> list[str]:
    """The command that runs `python -I -B -u -c BOOT python_args...` in a jail over `submission`."""
    help_text = _bwrap_help()
    exe = shutil.which("bwrap") or "bwrap"
    args = [exe, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--uid", "65534", "--gid", "65534", "--hostname", "sandbox"]
    if "--disable-userns" in help_text:  # no nested user namespace to regain capabilities in
        args.append("--disable-userns")
    args += _system_view()
    for host, inside in library_binds():
        args += ["--ro-bind", host, inside]
    args += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" in help_text:  # bwrap >= 0.7: the scratch cannot fill the host's memory
        args += ["--size", str(scratch_mb << 20)]
    args += ["--tmpfs", WORK, "--ro-bind", str(submission), SUBMISSION, "--chdir", WORK]
    python = str(Path(sys.executable).resolve())
    if not any(python.startswith(p + "/") for p in ("/usr", *_prefixes())):
        args += ["--ro-bind", python, python]  # a venv made with --copies has its own interpreter binary
    return [*args, "--", python, "-I", "-B", "-u", "-c", BOOT, *python_args]


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """None when a jail can be built and a child can import its libraries in it; else why not."""
    try:
        cmd = bwrap_command([], Path(gradlab.__file__).parent / "grading" / "sandbox", scratch_mb=1)
    except (JailUnavailable, OSError, subprocess.SubprocessError, ValueError) as exc:
        return str(exc)
    # the same jail, but only the child's imports
    cmd[-2:] = ["-c", BOOT.replace("main()", "print('jail-ok')")]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"})
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bwrap could not start: {exc}"
    if done.returncode != 0 or "jail-ok" not in done.stdout:
        return f"bwrap could not build the jail: {(done.stderr.strip() or 'no message').splitlines()[-1][:300]}"
    return None


#: what the grader says, in its output and in results.json, when it grades without the jail
FALLBACK_WARNING = ("WARNING: graded WITHOUT the bubblewrap jail ({why}); student code ran as a plain child "
                    "process that can read world-readable files on this machine (see the README's threat model)")


def choose(requested: str) -> tuple[str, str | None]:
    """The sandbox mode to use for `requested` ("bwrap", "process" or "auto"), and a warning for the
    output when "auto" had to fall back. An explicit "bwrap" that cannot work raises `JailUnavailable`."""
    if requested not in ("bwrap", "process", "auto"):
        raise ValueError(f"sandbox {requested!r}: use bwrap, process or auto")
    if requested == "process":
        return "process", None
    why = probe()
    if why is None:
        return "bwrap", None
    if requested == "bwrap":
        raise JailUnavailable(f"--sandbox bwrap cannot run here: {why}; install bubblewrap "
                              "(apt-get install -y bubblewrap) or use --sandbox process")
    return "process", FALLBACK_WARNING.format(why=why)
