"""A time limit on importing one file of a folder: learners' exercise scripts train or download at their top level.

A repository checked from its root holds files such as the textbook readers' `ch04/ex03_train.py`, which define a
network class (so they may hold layers and are imported) and then train it, for minutes, when imported. The limit
stops such an import and says what to do, so the layers in the other files are still checked. It stops the user's
own code only, less the time it waited for a processor (a loaded machine slows the wall clock, not the work):
while an installed package is being imported (torch takes seconds, minutes on a loaded machine) the
stop waits, since a C extension stopped half-way through its import is left half-initialised in the process (every
later `import torch` then fails, and the process can crash); installed code the user's code calls is given a
shorter grace.
Non-goal: limiting the checks themselves (a layer's cases are bounded by `gradlab.cases`), or any limit off the
main thread or without SIGALRM (Windows), where the import simply runs.
"""

from __future__ import annotations

import contextlib
import signal
import sysconfig
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["IMPORT_SECONDS", "ImportTooSlow", "import_time_limit"]

#: how long importing one file of a folder may run; a file of layers imports in well under a second
IMPORT_SECONDS = 20.0
#: at most how long, as a multiple of the limit, the stop waits for the user's own code on a loaded machine: as long
#: as the importing thread waited for a processor in the meantime (many checks on two cores), up to this
LOADED_GRACE = 6.0
#: how much longer the stop waits, as a multiple of the limit, for an installed package's import the user's code
#: started (torch's: seconds alone, minutes on a loaded machine) and for installed code the user's code called (a
#: download, a library's training) to return to the user's code; and how often it looks again meanwhile
IMPORT_GRACE = 30.0
INSTALLED_GRACE = 4.0
LOOK_AGAIN_SECONDS = 0.25


class ImportTooSlow(BaseException):
    """Importing the file ran past the limit. A BaseException, so that the file's own `except Exception:` does
    not swallow it."""


@contextlib.contextmanager
def import_time_limit(seconds: float = IMPORT_SECONDS) -> Iterator[None]:
    """Raise ImportTooSlow inside the block once it has run `seconds` (main thread, SIGALRM); else no limit."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    waited = 0.0
    queued = _time_queued()

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal waited
        running = _running(frame)
        # the user's own code is owed the time it spent waiting for a processor, not running
        grace = IMPORT_GRACE if running == "import" else INSTALLED_GRACE if running == "installed" else \
            min(LOADED_GRACE, (_time_queued() - queued) / seconds)
        if waited < grace * seconds:
            waited += LOOK_AGAIN_SECONDS
            signal.setitimer(signal.ITIMER_REAL, LOOK_AGAIN_SECONDS)
            return
        raise ImportTooSlow(f"importing it ran for over {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _time_queued() -> float:
    """Seconds this thread has spent ready to run but waiting for a processor (Linux's schedstat); 0 elsewhere."""
    for path in ("/proc/thread-self/schedstat", "/proc/self/schedstat"):
        try:
            with open(path) as stat:
                return int(stat.read().split()[1]) / 1e9
        except (OSError, IndexError, ValueError):
            continue
    return 0.0


_INSTALLED = tuple({sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")})


def _running(frame: FrameType | None) -> str:
    """What `frame` (the code running when the time ran out) is: "user" (the user's own code), "import" (an
    installed package's import, started by the user's code: from the running frame outwards, the import machinery
    comes before any frame of the user's) or "installed" (installed code the user's code called)."""
    # code made at run time (a dataclass's generated __init__, exec'd text: "<string>") is judged by the code running it
    while frame is not None and frame.f_code.co_filename.startswith("<") and \
            not frame.f_code.co_filename.startswith("<frozen"):
        frame = frame.f_back
    if frame is None or not _installed(frame.f_code.co_filename):
        return "user"
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<frozen importlib"):
            return "import"
        if not _installed(name):
            return "installed"
        frame = frame.f_back
    return "installed"


def _installed(filename: str) -> bool:
    """Whether code running from `filename` is an installed package's, the standard library's or the import
    machinery's (`<frozen importlib._bootstrap>`), not the user's."""
    return filename.startswith("<frozen") or filename.startswith(_INSTALLED) or "site-packages" in filename
