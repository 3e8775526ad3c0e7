"""A submission's memory as one total: all the processes it runs counted together, not each alone.

The child's RLIMIT_AS bounds each process; four forks of 900 MB each stay under it. Here the grader,
while it waits for the child, adds up the memory of every process of the submission (anonymous and
shared-memory pages resident, from /proc) every `INTERVAL` seconds, and when the total passes the
limit it kills every process the submission started except the one serving the grader, so the
layers already asked and the ones still to come are graded as usual.
A cgroup (`memory.max`) would let the kernel enforce the same total with no interval; the grader
has none where the memory controller is not delegated to it (cgroup v1 hosts, containers), which
is why this watchdog exists: it is what runs everywhere.
Non-goal: starting or stopping the sandbox (that is `gradlab.grading.sandbox.process`).
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass, field

from gradlab.grading.sandbox.reaper import process_table

#: seconds between two looks at the submission's memory while the grader waits for it
INTERVAL = 0.1


def resident_kb(pid: int) -> int:
    """Anonymous and shared-memory pages of `pid` in memory, in kB (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return 0
    return sum(int(line.split()[1]) for line in lines if line.startswith(("RssAnon:", "RssShmem:")))


def members(root: int) -> list[tuple[int, int]]:
    """(pid, depth below `root`) of `root` and its descendants, and of processes still in its session or
    process group (orphans that came back to the grader)."""
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, ppid, *_ in table:
        children.setdefault(ppid, []).append(pid)
    found, todo = {root: 0}, [root]
    while todo:
        parent = todo.pop()
        for child in children.get(parent, []):
            if child not in found:
                found[child] = found[parent] + 1
                todo.append(child)
    for pid, _, pgid, sid, _ in table:
        if root in (pgid, sid) and pid not in found:
            found[pid] = 99
    return sorted(found.items())


def _started(pid: int) -> int:
    """When `pid` started (clock ticks after boot), for telling the first of siblings."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            text = f.read().decode(errors="replace")
    except OSError:
        return 1 << 62
    return int(text[text.rfind(")") + 2:].split()[19])


@dataclass
class Watchdog:
    """Keeps the processes under `root` (the sandbox's first process) within `limit_mb` together.
    `server_depth`: how far below `root` the process serving the grader is (0 for a plain child;
    2 in the jail, under bubblewrap and its pid-namespace init, which are spared too)."""

    root: int
    limit_mb: int
    server_depth: int = 0
    killed: list[int] = field(default_factory=list)
    peak_kb: int = 0

    def check(self) -> bool:
        """Look once; True when processes were killed for going over the limit."""
        found = members(self.root)
        sizes = {pid: resident_kb(pid) for pid, _ in found}
        total = sum(sizes.values())
        self.peak_kb = max(self.peak_kb, total)
        if total <= self.limit_mb << 10:
            return False
        # the server is the first process at its depth (orphans in the jail come back to that depth too)
        at_depth = [pid for pid, depth in found if depth == self.server_depth]
        spared = {pid for pid, depth in found if depth < self.server_depth}
        spared |= {min(at_depth, key=_started)} if at_depth else set()
        for pid in sorted(sizes, key=sizes.__getitem__, reverse=True):
            if pid in spared:
                continue
            try:
                os.kill(pid, signal.SIGKILL)
                self.killed.append(pid)
            except (ProcessLookupError, PermissionError):
                pass
        return True

    def crowding(self) -> str:
        """A clause for a timeout's message when the submission's memory came near the limit since the peak
        was last reset: allocating near the limit (zero-filling, the kernel reclaiming pages) is what
        made it slow, more often than an endless loop."""
        if self.peak_kb < (self.limit_mb << 10) // 2:
            return ""
        return f"; it used up to {self.peak_kb >> 10} MB of its {self.limit_mb} MB memory limit meanwhile"

    def note(self) -> str | None:
        """What the student is told, if anything was killed."""
        if not self.killed:
            return None
        return (f"{len(self.killed)} process(es) your code started were killed: together with the rest of "
                f"your submission they used more than its {self.limit_mb} MB of memory")
