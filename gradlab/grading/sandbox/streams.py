"""What a sandboxed child prints: its stdout and stderr pipes, drained by the grader as they fill.

Student output never goes to a file a size limit could turn into an error, and a child that prints
megabytes never blocks on a full pipe: the grader reads whenever it waits for the child, keeps the
head of each stream and counts the rest. What the child printed just before it died is still read
after it is gone (the pipe holds it until the last writer exits).
Non-goal: deciding what the student sees (that is `gradlab.grading.grader`).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

#: read at most this much per wake-up, so a child that never stops printing cannot hold the grader
_READ_PER_WAKE = 8 << 20


@dataclass
class Output:
    """The head of what the child printed, and how much it printed in all."""

    stdout: str = ""
    stderr: str = ""
    stdout_bytes: int = 0
    stderr_bytes: int = 0


class Drain:
    """The read ends of a child's stdout and stderr: head kept (`head` bytes each), the rest counted."""

    def __init__(self, fds: dict[str, int], head: int):
        self.names = {fd: name for name, fd in fds.items()}
        self.head = head
        self.kept = {name: bytearray() for name in fds}
        self.counts = {name: 0 for name in fds}
        for fd in self.names:
            os.set_blocking(fd, False)

    def open_fds(self) -> list[int]:
        return list(self.names)

    def read(self, fd: int) -> None:
        """Read what `fd` holds now (up to a bound); at end of file, stop watching it."""
        name, done = self.names.get(fd), 0
        while name is not None and done < _READ_PER_WAKE:
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                del self.names[fd]
                os.close(fd)
                return
            done += len(chunk)
            self.counts[name] += len(chunk)
            room = self.head - len(self.kept[name])
            if room > 0:
                self.kept[name] += chunk[:room]

    def finish(self, seconds: float = 1.0) -> Output:
        """Read to the end (every writer is gone or about to be), then the output; closes the pipes."""
        deadline = time.monotonic() + seconds
        while self.names and time.monotonic() < deadline:
            for fd in list(self.names):
                self.read(fd)
            if self.names:
                time.sleep(0.01)
        for fd in list(self.names):
            os.close(fd)
        self.names.clear()
        text = {n: bytes(b).decode("utf-8", errors="replace") for n, b in self.kept.items()}
        return Output(text.get("stdout", ""), text.get("stderr", ""), self.counts.get("stdout", 0),
                      self.counts.get("stderr", 0))
