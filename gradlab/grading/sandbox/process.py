"""Run untrusted student code in a child process the grader can always stop, and talk to it.

`Sandbox` copies a submission into a scratch folder, starts `gradlab.grading.sandbox.child` there (fresh
interpreter, clean environment, own session, memory/CPU/file-size limits, an unprivileged user
when the grader runs as root and the interpreter is readable by that user), and exchanges
`gradlab.grading.sandbox.wire` messages with it under a wall-clock deadline the parent enforces. When it
is closed, or when anything goes wrong, the whole process group is killed, and so is every
process that escaped it into a session of its own (the grader is a child subreaper, so orphans
come back to it and are found by their parent pid).
Non-goals: a kernel-level jail (no seccomp, namespaces or cgroups; the child can read world-readable
files), and judging layers (that is `gradlab.core.check`, which runs in the grader's own process).
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gradlab.grading.limits import Limits
from gradlab.grading.sandbox.wire import WireError, decode, encode

#: the unprivileged user student code runs as when the grader is root (nobody)
SANDBOX_UID = 65534
_PR_SET_CHILD_SUBREAPER = 36
_LIVE: set[int] = set()  # sandboxes of this process that are running (never swept as orphans)


class SandboxFailure(Exception):
    """The child hung, died, or replied with something unreadable; it has been killed."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason  # "timeout", "died" or "garbage"
        self.detail = detail


@dataclass
class Output:
    """The head of what the child printed, and how much it printed in all."""

    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0


def subreaper() -> None:
    """Make this process adopt its descendants' orphans (Linux), so that kill_tree can still find them."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass


def _world_usable(path: Path) -> bool:
    """True when `path` and every folder above it can be read/traversed by any user."""
    path = path.resolve()
    try:
        if not path.stat().st_mode & stat.S_IROTH:
            return False
        return all(p.stat().st_mode & stat.S_IXOTH for p in path.parents)
    except OSError:
        return False


def sandbox_uid() -> int | None:
    """The uid to drop to, or None when the grader is not root or that user could not start Python."""
    if os.geteuid() != 0 or os.environ.get("GRADLAB_SANDBOX_USER", "") == "same":
        return None
    import numpy

    needed = [Path(sys.executable), Path(numpy.__file__).parent, Path(__file__).parents[2], Path(os.__file__)]
    return SANDBOX_UID if all(_world_usable(p) for p in needed) else None


def process_table() -> list[tuple[int, int, int, int, str]]:
    """(pid, ppid, pgid, sid, state) of every process, from /proc."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()
        out.append((int(name), int(fields[1]), int(fields[2]), int(fields[3]), fields[0]))
    return out


def kill_tree(pgid: int, *, grace: float = 2.0) -> None:
    """Kill the sandbox's process group and session, and any orphan of it that came back to us."""
    me, my_sid, my_pgid = os.getpid(), os.getsid(0), os.getpgid(0)
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if not os.path.isdir("/proc/self"):
        return
    deadline, quiet = time.monotonic() + grace, 0
    while time.monotonic() < deadline and quiet < 3:
        victims = [p for p in process_table() if p[0] != me and p[0] not in _LIVE and
                   (p[2] == pgid or p[3] == pgid or (p[1] == me and p[3] != my_sid))]
        victims = [p for p in victims if p[4] != "Z" or p[1] == me]
        quiet = quiet + 1 if not victims else 0
        for pid, ppid, vpgid, _, _ in victims:
            for kill, target in ((os.killpg, vpgid), (os.kill, pid)):
                if kill is os.killpg and target in (my_pgid, 0):
                    continue
                try:
                    kill(target, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            if ppid == me:
                try:
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
        time.sleep(0.005)


def _copy_submission(source: Path, work: Path, *, helpers: bool = False) -> list[Path]:
    """Copy the submission into the scratch folder; the .py files to import, in a stable order.

    With `helpers`, a single file travels with the local modules it imports (helper modules next to
    it, a repository root's package above it), in their layout; only the file itself is imported."""
    if not source.is_dir() and helpers:
        from gradlab.conventions.imports import local_modules

        base, files = local_modules(source)
        for f in files:
            target = work / f.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
        return [work / source.resolve().relative_to(base)]
    if source.is_dir():
        shutil.copytree(source, work / source.name, ignore=shutil.ignore_patterns("__pycache__", ".*"),
                        symlinks=False)
        root = work / source.name
        files = sorted(p for p in root.rglob("*.py") if not p.name.startswith("test_"))
    else:
        shutil.copy2(source, work / source.name)
        files = [work / source.name]
    return files


def _env(work: Path) -> dict[str, str]:
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(work), "TMPDIR": str(work),
            "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", **threads}


class Sandbox:
    """One child process serving one submission; use as a context manager.

    `call(message)` sends a request and returns the validated-as-well-formed reply, or raises
    `SandboxFailure` (after killing the child) when the deadline set by `budget` passes, the
    child dies, or the reply is malformed. A failed sandbox stays failed: later calls raise at once.
    """

    def __init__(self, source: Path, limits: Limits, *, helpers: bool = False):
        self.source, self.limits, self.helpers = Path(source), limits, helpers
        self.proc: subprocess.Popen[bytes] | None = None
        self.failure: SandboxFailure | None = None
        self.deadline = 0.0
        self.budget_seconds = 0.0
        self.doing = "importing your file"
        self.output = Output()
        self._root = Path(tempfile.mkdtemp(prefix="gradlab-box-"))

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> dict[str, Any]:
        """Start the child and import the submission; the child's hello (entries found, or error)."""
        subreaper()
        box = self._root / "box"
        work = box / "work"
        work.mkdir(parents=True)
        files = _copy_submission(self.source, work, helpers=self.helpers)
        uid = sandbox_uid()
        if uid is not None:
            for p in (self._root, box):
                p.chmod(0o711)
            for dirpath, _, names in os.walk(work):
                os.chown(dirpath, uid, uid)
                for n in names:
                    os.chown(os.path.join(dirpath, n), uid, uid)
        self._out = open(self._root / "stdout", "wb")
        self._err = open(self._root / "stderr", "wb")
        req_r, self._req = os.pipe()
        self._rep, rep_w = os.pipe()
        lim = self.limits
        cpu = int(lim.import_timeout + 60 * lim.timeout) + 5  # a backstop; the wall clock rules
        cmd = [sys.executable, "-I", "-B", "-m", "gradlab.grading.sandbox.child",
               "--req", str(req_r), "--rep", str(rep_w),
               "--memory-mb", str(lim.memory_mb), "--cpu-seconds", str(cpu), "--fsize-mb", str(lim.fsize_mb),
               "--max-reply-bytes", str(lim.max_reply_mb << 20)]
        cmd += ["--uid", str(uid)] if uid is not None else []
        cmd += [str(f) for f in files]
        try:
            self.proc = subprocess.Popen(cmd, cwd=work, env=_env(work), stdin=subprocess.DEVNULL, stdout=self._out,
                                         stderr=self._err, pass_fds=(req_r, rep_w), start_new_session=True)
        finally:
            os.close(req_r)
            os.close(rep_w)
        _LIVE.add(self.proc.pid)
        os.set_blocking(self._req, False)
        os.set_blocking(self._rep, False)  # a poll that timed out must not be followed by a read that waits
        self.budget(lim.import_timeout, "importing your file")
        if not files:
            return {"ok": False, "error": "the submission holds no .py file", "entries": [], "skipped": []}
        return self._receive()

    def budget(self, seconds: float, doing: str) -> None:
        """From now on, the child has `seconds` of wall-clock time for `doing` (e.g. 'grading Affine')."""
        self.deadline, self.budget_seconds, self.doing = time.monotonic() + seconds, seconds, doing

    def call(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.failure is not None:
            raise self.failure
        try:
            self._send(encode(message))
            return self._receive()
        except SandboxFailure as exc:
            self.failure = exc
            self._kill()
            raise

    def fail(self, reason: str, detail: str) -> SandboxFailure:
        self.failure = SandboxFailure(reason, detail)
        self._kill()
        return self.failure

    def _wait(self, fd: int, events: int) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self.fail("timeout", f"your code did not finish within {self.budget_seconds:g} s "
                                        f"({self.doing}); an infinite loop, or far too slow")
        poller = select.poll()
        poller.register(fd, events | select.POLLHUP | select.POLLERR)
        poller.poll(max(1, int(remaining * 1000)))

    def _send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            self._wait(self._req, select.POLLOUT)
            try:
                view = view[os.write(self._req, view[: 1 << 20]):]
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError):
                raise self._died() from None

    def _read_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            self._wait(self._rep, select.POLLIN)
            try:
                chunk = os.read(self._rep, min(n - len(buf), 1 << 20))
            except BlockingIOError:
                continue
            if not chunk:
                raise self._died()
            buf += chunk
        return bytes(buf)

    def _receive(self) -> dict[str, Any]:
        try:
            reply = decode(self._read_exact, max_bytes=self.limits.max_reply_mb << 20)
        except WireError as exc:
            raise self.fail("garbage", f"the process running your code sent an unreadable reply ({exc})") from None
        if not isinstance(reply.get("ok"), bool):
            raise self.fail("garbage", "the process running your code sent a reply without a status")
        return reply

    def _died(self) -> SandboxFailure:
        code = None
        if self.proc is not None:
            try:
                code = self.proc.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                pass
        if code is None:
            why = "closed its connection to the grader"
        elif code < 0:
            sig = signal.Signals(-code)
            why = {signal.SIGXCPU: "was stopped at its CPU-time limit", signal.SIGKILL:
                   f"was killed (often: more than the {self.limits.memory_mb} MB memory limit)",
                   signal.SIGXFSZ: f"wrote a file larger than {self.limits.fsize_mb} MB"}.get(
                       sig, f"was killed by {sig.name}")
        else:
            why = f"exited with status {code} (sys.exit or os._exit in your code?)"
        return self.fail("died", f"the process running your code {why} while {self.doing}")

    def _kill(self) -> None:
        if self.proc is None:
            return
        kill_tree(self.proc.pid)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover  (SIGKILL cannot be ignored)
            pass
        _LIVE.discard(self.proc.pid)

    def close(self) -> Output:
        """Kill everything the submission started, keep the head of its output, remove the scratch folder."""
        if self.proc is not None:
            for fd in (self._req, self._rep):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._kill()
            self._out.close()
            self._err.close()
            out, err, head = self._root / "stdout", self._root / "stderr", self.limits.output_bytes
            self.output = Output(_head(out, head), _head(err, head), out.stat().st_size, err.stat().st_size)
            self.proc = None
        shutil.rmtree(self._root, ignore_errors=True)
        return self.output


def _head(path: Path, limit: int) -> str:
    with open(path, "rb") as f:
        return f.read(limit).decode("utf-8", errors="replace")
