"""What a sandboxed child prints: its stdout and stderr pipes, drained by the grader as they fill.

Student output never goes to a file a size limit could turn into an error, and a child that prints
megabytes never blocks on a full pipe: the grader reads whenever it waits for the child, keeps the
head and the tail of each stream and counts the rest (the tail is where a crash's last words are).
What the child printed just before it died is still read after it is gone (the pipe holds it until
the last writer exits).
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
    """The read ends of a child's stdout and stderr: of each, the first and the last `keep` / 2 bytes
    are kept, the rest counted."""

    def __init__(self, fds: dict[str, int], keep: int):
        self.names = {fd: name for name, fd in fds.items()}
        self.head = self.tail = max(1, keep // 2)
        self.kept = {name: bytearray() for name in fds}
        self.last = {name: bytearray() for name in fds}
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
            last = self.last[name]
            last += chunk[-self.tail:]
            del last[:-self.tail]

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
        text = {n: self._text(n) for n in self.kept}
        return Output(text.get("stdout", ""), text.get("stderr", ""), self.counts.get("stdout", 0),
                      self.counts.get("stderr", 0))

    def _text(self, name: str) -> str:
        head, count = bytes(self.kept[name]), self.counts[name]
        if count <= self.head + self.tail:  # all of it is in head and tail: no gap to show
            whole = head + bytes(self.last[name])[len(self.last[name]) - (count - len(head)):]
            return whole.decode("utf-8", errors="replace")
        gap = count - self.head - self.tail
        return (head.decode("utf-8", errors="replace") + f"\n[... {gap} bytes not shown ...]\n"
                + bytes(self.last[name]).decode("utf-8", errors="replace"))
