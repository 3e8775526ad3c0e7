"""A submission's sandbox as the grader holds it: started (its hello, and what it says about the submission's
files), closed (what it printed, kept; processes killed for the memory total, said). The grader and the fix
search (`gradlab.grading.fix_search`) both start and close sandboxes this way.
Non-goal: running a sandbox (`gradlab.grading.sandbox.process`), grading (`gradlab.grading.grader`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gradlab.grading.sandbox.process import Sandbox, SandboxFailure
from gradlab.grading.sandbox.streams import Output

if TYPE_CHECKING:
    from gradlab.grading.grades import Grade

__all__ = ["close", "collect", "start", "unimported"]


def start(box: Sandbox, grade: Grade) -> dict[str, Any]:
    """Start `box`; its hello (the layers the submission defines, or why it could not be imported)."""
    try:
        hello = box.start()
    except SandboxFailure as exc:
        hello = {"ok": False, "error": exc.detail, "entries": []}
    left_out = f"left out of your submission: {'; '.join(box.left_out)[:900]}"
    if box.left_out and left_out not in grade.notes:
        grade.notes.append(left_out)
    for why in unimported(hello) if hello.get("ok") else []:  # files whose neighbours were graded
        if f"not imported: {why}" not in grade.notes:
            grade.notes.append(f"not imported: {why}")
    for why in unimported(hello, "<lent>") if hello.get("ok") else []:
        if why not in grade.notes:
            grade.notes.append(why)
    return hello


def unimported(hello: dict[str, Any], marker: str = "<file>") -> list[str]:
    """Why each file of the submission that could not be imported was not (the child lists them among the
    skipped names as "<file>"), or with `marker="<lent>"` what the grader lent its import (a module it does not
    have, stood in for); the hello is the child's word, so its shape is checked."""
    skipped = hello.get("skipped")
    return [str(item[1])[:600] for item in skipped if isinstance(item, (list, tuple)) and len(item) == 2
            and item[0] == marker] if isinstance(skipped, list) else []


def close(box: Sandbox, grade: Grade, printed: dict[str, list[Any]]) -> None:
    """Close `box`; keep what it printed and say whether processes were killed for the memory total."""
    collect(box.close(), printed)
    note = box.watchdog.note() if box.watchdog is not None else None
    if note is not None:
        grade.notes.append(note)


def collect(out: Output, printed: dict[str, list[Any]]) -> None:
    """Add one sandbox's output to the totals (the text of the first one that printed is kept)."""
    for stream, text, n in (("stdout", out.stdout, out.stdout_bytes), ("stderr", out.stderr, out.stderr_bytes)):
        if n:
            entry = printed.setdefault(stream, [0, text])
            entry[0] += n
