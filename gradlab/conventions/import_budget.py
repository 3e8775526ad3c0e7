"""A time limit on importing one file of a folder: learners' exercise scripts train or download at their top level.

A repository checked from its root holds files such as the textbook readers' `ch04/ex03_train.py`, which define a
network class (so they may hold layers and are imported) and then train it, for minutes, when imported. The limit
stops such an import and says what to do, so the layers in the other files are still checked.
Non-goal: limiting the checks themselves (a layer's cases are bounded by `gradlab.cases`), or any limit off the
main thread or without SIGALRM (Windows), where the import simply runs.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["IMPORT_SECONDS", "ImportTooSlow", "import_time_limit"]

#: how long importing one file of a folder may run; a file of layers imports in well under a second
IMPORT_SECONDS = 20.0


class ImportTooSlow(BaseException):
    """Importing the file ran past the limit. A BaseException, so that the file's own `except Exception:` does
    not swallow it."""


@contextlib.contextmanager
def import_time_limit(seconds: float = IMPORT_SECONDS) -> Iterator[None]:
    """Raise ImportTooSlow inside the block once it has run `seconds` (main thread, SIGALRM); else no limit."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise ImportTooSlow(f"importing it ran for over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
