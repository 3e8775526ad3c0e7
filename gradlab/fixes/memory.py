"""A candidate edit runs with the process's address space bounded, so an edit that builds a giant array fails
alone (MemoryError: not a fix) instead of taking the machine's memory.

One candidate of a real search (`dhs.append(dh)` edited into `dhs.append(dhs)`, then `np.stack(dhs)`) grew past
10 GB. `gradlab check` runs the search in its own process, so the bound is the soft RLIMIT_AS, lowered to what
the process already maps plus a headroom for the duration of one candidate and restored after it (a soft limit
may be raised again up to the hard one). Where there is no such limit (not Linux), candidates run unbounded.
Non-goal: bounding the user's code when it is checked (that is the grader's sandbox).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["HEADROOM_MB", "bounded_memory"]

#: what one candidate may map beyond what the process maps already: far more than any check at the zoo's sizes
#: takes, far less than the machines this runs on have
HEADROOM_MB = 2048


def _mapped_bytes() -> int | None:
    """The process's virtual size (VmSize), or None where /proc does not say."""
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) << 10
    except (OSError, ValueError, IndexError):
        pass
    return None


@contextmanager
def bounded_memory(headroom_mb: int = HEADROOM_MB) -> Iterator[None]:
    """Within the block, allocations beyond the current mapping plus `headroom_mb` raise MemoryError."""
    try:
        import resource
    except ImportError:  # not a Unix
        yield
        return
    mapped = _mapped_bytes()
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    target = None if mapped is None else mapped + (headroom_mb << 20)
    if target is not None and hard != resource.RLIM_INFINITY:
        target = min(target, hard)
    if target is None or (soft != resource.RLIM_INFINITY and soft <= target):
        yield  # unknown, or already bounded as tightly (the grader's sandbox child)
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (target, hard))
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
