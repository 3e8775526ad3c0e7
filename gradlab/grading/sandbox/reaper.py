"""Find and kill every process a submission started, even those that left its process group.

The grader makes itself a child subreaper, so orphans of the sandbox come back to it and can be found
by their parent pid in /proc. Non-goal: starting anything (that is `gradlab.grading.sandbox.process`).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

_PR_SET_CHILD_SUBREAPER = 36
#: pids of sandboxes of this process that are running (never swept as orphans)
LIVE: set[int] = set()


def subreaper() -> None:
    """Make this process adopt its descendants' orphans (Linux), so that kill_tree can still find them."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        except (OSError, AttributeError):
            pass


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
        victims = [p for p in process_table() if p[0] != me and p[0] not in LIVE and
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
