"""The verified fix of each layer a student lost points on, for the feedback (an assignment's `show_fix = true`).

The student's code runs nowhere but in their sandbox, so the fix is searched there (the child's `fix`
request: the layer checked where its code runs, each candidate edit rebuilt and re-checked there too),
after every layer is graded and only in the time left of the submission's total budget: a fix search
never costs a point, and when too little time is left there is no fix rather than a late one, said in
one line. The sandbox's reply is not trusted: a fix in another shape than expected is not shown (the
submission could have written it, and it is only ever shown to its own author).
Non-goal: finding fixes (`gradlab.fixes`), writing the feedback (`gradlab.grading.feedback`).
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradlab.core.results import FixResult
from gradlab.grading.assignment import Assignment
from gradlab.grading.sandbox.process import Sandbox, SandboxFailure
from gradlab.grading.session import close, start

if TYPE_CHECKING:
    from gradlab.grading.grades import Grade, LayerGrade

__all__ = ["FIX_MARGIN_SECONDS", "MIN_FIX_SECONDS", "fix_from_reply", "fix_in", "search_fixes"]

#: a fix search starts only with this many seconds of the submission's total budget left
MIN_FIX_SECONDS = 3.0
#: what the sandbox keeps for itself of a fix search's time: its reply must arrive before the deadline
FIX_MARGIN_SECONDS = 1.0


def search_fixes(box: Sandbox | None, grade: Grade, end: float, path: Path, helpers: bool, mode: str,
                  printed: dict[str, list[Any]]) -> Sandbox | None:
    """Search, in the submission's own sandbox (a fresh one if it failed), the verified fix of every visible
    layer that lost points, in the time left of the submission's total budget; the sandbox in use."""
    assignment = grade.assignment
    for layer in grade.layers:
        if layer.required.hidden or layer.found_as is None or layer.score >= layer.max_score:
            continue
        left = end - time.monotonic()
        if left < MIN_FIX_SECONDS:
            layer.fix_note = f"no fix searched: less than {MIN_FIX_SECONDS:g} s of your submission's time budget " \
                             f"of {assignment.limits.total_timeout:g} s was left after grading"
            continue
        if box is None or box.failure is not None:
            if box is not None:
                close(box, grade, printed)
            box = Sandbox(path, assignment.limits, helpers=helpers, mode=mode, end=end)
            if not start(box, grade).get("ok"):
                return box
        layer.fix, layer.fix_note = fix_in(box, layer, assignment, left)
    return box


def fix_in(box: Sandbox, layer: LayerGrade, assignment: Assignment, left: float) -> tuple[FixResult | None, str]:
    """(the fix the sandbox found for `layer` in at most `left` seconds, why none is shown)."""
    seconds = min(left, max(assignment.limits.timeout, MIN_FIX_SECONDS))
    late = "no fix shown: the search for one did not finish within your submission's time budget of " \
           f"{assignment.limits.total_timeout:g} s"
    box.budget(seconds, f"searching a fix for {layer.name}")
    try:
        reply = box.call({"op": "fix", "entry": layer.name, "examples": assignment.examples,
                          "seed": assignment.seed + zlib.crc32(layer.required.name.encode()),
                          "seconds": max(0.0, seconds - FIX_MARGIN_SECONDS), "layout": assignment.layout,
                          "weights": assignment.weight_layout})
    except SandboxFailure:
        return None, late
    fix = fix_from_reply(reply)
    if fix is not None and fix.status == "not-searched":
        return None, late
    return fix, ""


#: the most a fix's diff, explanation or file name may hold (the sandbox's reply is not trusted)
_FIX_TEXT_LIMITS = {"diff": 4000, "explanation": 600, "file": 300}


def fix_from_reply(reply: dict[str, Any]) -> FixResult | None:
    """The fix the sandbox replied with, when the reply is one (the submission could have written it: it is
    only ever shown to its own author, and only in its expected shape)."""
    fix = reply.get("fix") if reply.get("ok") else None
    if not isinstance(fix, dict) or fix.get("status") not in ("verified", "none-found", "not-searched"):
        return None
    if fix["status"] == "none-found":
        tried = fix.get("tried")
        return FixResult("none-found", tried=tried if isinstance(tried, int) and tried >= 0 else 0)
    if fix["status"] == "not-searched":
        return FixResult("not-searched")
    texts = {k: fix.get(k) for k in _FIX_TEXT_LIMITS}
    lines = fix.get("lines")
    if not all(isinstance(v, str) and len(v) <= _FIX_TEXT_LIMITS[k] for k, v in texts.items()) or \
            not isinstance(lines, list) or not 1 <= len(lines) <= 3 or \
            not all(isinstance(n, int) and n > 0 for n in lines):
        return None
    return FixResult("verified", file=str(texts["file"]), diff=str(texts["diff"]), lines=tuple(lines),
                     explanation=str(texts["explanation"]))
