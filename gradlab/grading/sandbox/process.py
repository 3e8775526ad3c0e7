"""Run untrusted student code in a child process the grader can always stop, and talk to it.

`Sandbox` copies a submission into a scratch folder (`gradlab.grading.sandbox.staging`), starts
`gradlab.grading.sandbox.child` on it and exchanges `gradlab.grading.sandbox.wire` messages with it
under a wall-clock deadline the parent enforces. Two modes:
- "bwrap": the child runs in a bubblewrap jail (`gradlab.grading.sandbox.jail`): its own user, pid,
  network, IPC and mount namespaces, seeing only its libraries and its own copy of the submission;
- "process": a plain child (fresh interpreter, clean environment, own session; when the grader runs
  as root and the interpreter is readable by any user, an unprivileged uid of this sandbox's own
  (`gradlab.grading.sandbox.uids`) owning a scratch folder no other uid may enter): no kernel-level
  isolation, for machines where bubblewrap cannot run.
Both set memory/CPU/file-size limits, send student output to pipes the grader drains
(`gradlab.grading.sandbox.streams`), and, when closed or when anything goes wrong, kill the whole
process tree, including processes that escaped into a session of their own (`gradlab.grading.sandbox.reaper`).
Non-goal: judging layers (that is `gradlab.core.check`, which runs in the grader's own process).
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from gradlab.grading.limits import Limits
from gradlab.grading.sandbox import jail, uids
from gradlab.grading.sandbox.memory import INTERVAL, Watchdog
from gradlab.grading.sandbox.reaper import LIVE, kill_tree, subreaper
from gradlab.grading.sandbox.staging import copy_submission
from gradlab.grading.sandbox.streams import Drain, Output
from gradlab.grading.sandbox.wire import WireError, decode, encode

#: the shared unprivileged user (nobody), when no uid of its own can be claimed for a sandbox
SANDBOX_UID = 65534


class SandboxFailure(Exception):
    """The child hung, died, or replied with something unreadable; it has been killed."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason  # "timeout", "died" or "garbage"
        self.detail = detail


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


def _env(work: str) -> dict[str, str]:
    threads = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    return {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": work, "TMPDIR": work,
            "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", **threads}


class Sandbox:
    """One child process serving one submission; use as a context manager.

    `call(message)` sends a request and returns the validated-as-well-formed reply, or raises
    `SandboxFailure` (after killing the child) when the deadline set by `budget` passes, the
    child dies, or the reply is malformed. A failed sandbox stays failed: later calls raise at once.
    """

    def __init__(self, source: Path, limits: Limits, *, helpers: bool = False, mode: str = "process",
                 end: float | None = None):
        if mode not in ("bwrap", "process"):
            raise ValueError(f"sandbox mode {mode!r}: use 'bwrap' or 'process' (resolve 'auto' with jail.choose)")
        self.source, self.limits, self.helpers, self.mode = Path(source), limits, helpers, mode
        self.left_out: list[str] = []
        self._drain: Drain | None = None
        #: the submission's total deadline (time.monotonic()), shared by every sandbox it gets
        self.end, self.capped = end, False
        self.proc: subprocess.Popen[bytes] | None = None
        self.failure: SandboxFailure | None = None
        self.deadline = 0.0
        #: the seconds of the current budget spent waiting for the child (`budget`)
        self._waited = 0.0
        self.budget_seconds = 0.0
        self.doing = "importing your file"
        self.output = Output()
        #: the submission's processes' memory as one total (None until the child starts)
        self.watchdog: Watchdog | None = None
        #: the uid claimed for this sandbox alone (process mode as root), released when it closes
        self.uid: int | None = None
        self._next_look = 0.0
        self._root = Path(tempfile.mkdtemp(prefix="gradlab-box-"))

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> dict[str, Any]:
        """Start the child and import the submission; the child's hello (entries found, or error)."""
        subreaper()
        work = self._root / "box" / "work"
        work.mkdir(parents=True)
        files, self.left_out = copy_submission(self.source, work, helpers=self.helpers)
        if not files:
            return {"ok": False, "error": "the submission holds no .py file that could be read", "entries": [],
                    "skipped": []}
        req_r, self._req = os.pipe()
        self._rep, rep_w = os.pipe()
        lim = self.limits
        cpu = int(lim.import_timeout + 60 * lim.timeout) + 5  # a backstop; the wall clock rules
        args = ["--req", str(req_r), "--rep", str(rep_w), "--memory-mb", str(lim.memory_mb), "--cpu-seconds",
                str(cpu), "--fsize-mb", str(lim.fsize_mb), "--max-reply-bytes", str(lim.max_reply_mb << 20)]
        if self.mode == "bwrap":
            # the child stages its own copy into the jail's tmpfs; paths are relative to it
            args += ["--stage", jail.SUBMISSION, *(f.relative_to(work).as_posix() for f in files)]
            cmd, cwd, env = jail.bwrap_command(args, work, scratch_mb=lim.fsize_mb), self._root, _env(jail.WORK)
        else:
            uid = self._process_user(work)
            args += (["--uid", str(uid)] if uid is not None else []) + [str(f) for f in files]
            cmd = [sys.executable, "-I", "-B", "-u", "-m", "gradlab.grading.sandbox.child", *args]
            cwd, env = work, _env(str(work))
        try:
            self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, pass_fds=(req_r, rep_w), start_new_session=True)
        finally:
            os.close(req_r)
            os.close(rep_w)
        LIVE.add(self.proc.pid)
        # in the jail, the child runs under bubblewrap and its pid-namespace init
        self.watchdog = Watchdog(self.proc.pid, lim.memory_mb, server_depth=2 if self.mode == "bwrap" else 0)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._drain = Drain({"stdout": os.dup(self.proc.stdout.fileno()), "stderr": os.dup(self.proc.stderr.fileno())},
                            lim.output_bytes)
        self.proc.stdout.close()
        self.proc.stderr.close()
        os.set_blocking(self._req, False)
        os.set_blocking(self._rep, False)  # a poll that timed out must not be followed by a read that waits
        self.budget(lim.import_timeout, "importing your file")
        return self._receive()

    def _process_user(self, work: Path) -> int | None:
        """In process mode as root: a uid of this sandbox's own (`uids`), owning the scratch folder,
        which no other uid may enter; else None (the child runs as the grader's user)."""
        if sandbox_uid() is None:
            return None
        try:
            uid = self.uid = uids.claim()
        except (uids.NoUid, OSError):
            uid = SANDBOX_UID  # the shared unprivileged user: still not root
        for p in (self._root, work.parent):
            p.chmod(0o711)
        for dirpath, _, names in os.walk(work):
            os.chown(dirpath, uid, uid)
            for n in names:
                os.chown(os.path.join(dirpath, n), uid, uid)
        work.chmod(0o700)  # a classmate's sandbox, under another uid, cannot even list it
        return uid

    def budget(self, seconds: float, doing: str) -> None:
        """From now on, the child has `seconds` of wall-clock time for `doing` (e.g. 'grading Affine'),
        and never past the submission's total deadline (`end`). Only the time spent waiting for the child
        counts: what the grader computes between calls (finite differences, a diagnosis) is not the child's."""
        self.budget_seconds, self.doing, self._waited = seconds, doing, 0.0
        if self.watchdog is not None:
            self.watchdog.peak_kb = 0  # a timeout speaks of the memory `doing` used, not an earlier task's
        self._set_deadline(time.monotonic())

    def time_left(self) -> float:
        """Seconds of the current budget the child has not used yet (never past the submission's `end`)."""
        left = self.budget_seconds - self._waited
        return max(0.0, min(left, self.end - time.monotonic()) if self.end is not None else left)

    def _set_deadline(self, now: float) -> None:
        """The deadline of a call starting `now`: what is left of the budget, and never past `end`."""
        self.deadline = now + self.budget_seconds - self._waited
        self.capped = self.end is not None and self.end < self.deadline
        if self.end is not None and self.capped:
            self.deadline = self.end

    def call(self, message: dict[str, Any]) -> dict[str, Any]:
        if self.failure is not None:
            raise self.failure
        start = time.monotonic()
        self._set_deadline(start)
        try:
            self._send(encode(message))
            return self._receive()
        except SandboxFailure as exc:
            self.failure = exc
            self._kill()
            raise
        finally:
            self._waited += time.monotonic() - start

    def fail(self, reason: str, detail: str) -> SandboxFailure:
        self.failure = SandboxFailure(reason, detail)
        self._kill()
        return self.failure

    def _wait(self, fd: int, events: int) -> None:
        """Until `fd` is ready (or the deadline passes), draining what the child prints meanwhile."""
        while True:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                if self.capped:
                    raise self.fail("timeout", f"your submission used up its total time budget of "
                                                f"{self.limits.total_timeout:g} s ({self.doing})")
                memory = self.watchdog.crowding() if self.watchdog is not None else ""
                raise self.fail("timeout", f"your code did not finish within {self.budget_seconds:g} s "
                                            f"({self.doing}); an infinite loop, or far too slow{memory}")
            poller = select.poll()
            poller.register(fd, events | select.POLLHUP | select.POLLERR)
            streams = self._drain.open_fds() if self._drain is not None else []
            for s in streams:
                poller.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
            ready = {r for r, _ in poller.poll(max(1, int(min(remaining, INTERVAL) * 1000)))}
            for s in streams:
                if s in ready and self._drain is not None:
                    self._drain.read(s)
            if self.watchdog is not None and time.monotonic() >= self._next_look:
                self.watchdog.check()
                self._next_look = time.monotonic() + INTERVAL
            if fd in ready:
                return

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
        if code is not None and self.mode == "bwrap" and code > 128:
            code = 128 - code  # bwrap exits 128 + N when its child was killed by signal N
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
        LIVE.discard(self.proc.pid)

    def close(self) -> Output:
        """Kill everything the submission started, keep the head of its output, remove the scratch folder."""
        if self.proc is not None:
            for fd in (self._req, self._rep):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._kill()
            if self._drain is not None:
                self.output = self._drain.finish()
                self._drain = None
            self.proc = None
        shutil.rmtree(self._root, ignore_errors=True)
        if self.uid is not None:  # after its processes are gone and its files removed
            uids.release(self.uid)
            self.uid = None
        return self.output
