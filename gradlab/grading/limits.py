"""What one submission may use while it is graded: the resource limits of its sandbox.

Its own module so that an assignment (which sets some of these in its TOML `[limits]` table) and
the sandbox (which enforces them) both depend on this small type, and neither on the other.
Non-goal: enforcing anything (that is `gradlab.grading.sandbox.process`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one submission may use. `timeout` is wall-clock seconds per layer spent waiting for the student's
    code (the grader's own checking between its calls is not counted), `total_timeout` for the
    whole submission (import and every layer: a layer that sleeps just under each limit still stops).
    `memory_mb` bounds each process's address space and the resident total of all of them."""

    timeout: float = 10.0
    total_timeout: float = 60.0
    import_timeout: float = 10.0
    memory_mb: int = 1024
    fsize_mb: int = 64
    max_reply_mb: int = 128
    output_bytes: int = 2000
