"""The bug code of a graded test that failed, named as `gradlab check` names it on the same layer.

The grader's cases are a fixed, seeded list, and each failing case votes for its code. `gradlab check` names a bug
on its smallest failing case (hypothesis shrinks it, the batch to one sample first) and then reads it more closely:
a factor that may equal N confirmed on another batch size, a case read as mismatch or all zero shown where a more
precise code shows, a zero-gradient confirmed off a zero hyper-parameter, a crash on shapes next to the gradients
returned where the sizes fit (`gradlab.cases.runner`). The votes and that reading disagreed on real student files (a
CS231n softmax over the wrong axis: dropped-term against couples-samples; a convolution's loop one step short: a
zero-gradient on the smallest case against dropped-term). So where the votes settled on a weak reading, the grader
asks check itself: `check_entry` runs on the student's layer as the grader builds it (in the sandbox), replaying
the grader's smallest failing case, with one sample first as shrinking would try, and its failing case names the
test.
Non-goals: scores (a test passes or fails on the grader's own cases; naming changes codes and messages only), and
crashes (a crash is named where it happens).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.registry import Entry
from gradlab.core.results import CaseResult
from gradlab.grading.tally import Part
from gradlab.kinds import Case, Kind, describe_spec

if TYPE_CHECKING:  # the grader's objects, named in a signature only
    from gradlab.grading.assignment import Assignment
    from gradlab.grading.grades import LayerGrade
    from gradlab.grading.sandbox.process import Sandbox

__all__ = ["WEAK_CODES", "check_failure", "name_parts", "named_as_check"]

#: the readings check's closer look exists to make precise (a mismatch or an all-zero gradient on a small case, a
#: partial match that a tiny case can make of a permuted gradient); a precise code the failing cases agree on
#: (transposed, a factor) stands: check's reading of one case would only trade it for a less telling one
WEAK_CODES = frozenset({"mismatch", "zero-gradient", "dropped-term"})


def check_failure(make: Callable[[Any], Any], kind: Kind, name: str, spec: dict[str, Any],
                  seed: int) -> CaseResult | None:
    """The failing case `gradlab check` reads for the layer `make` builds, from the grader's smallest failing
    `spec`; None when check does not fail it there (the grader's votes then stand)."""
    # gradlab's own protocol (a native entry): the adapter calls `make`, the grader's proxy of the student's layer;
    # rows, so that a crash is not retried in other layouts (the grader has chosen the layout already)
    entry = Entry(name, kind.name, "native", make, options={"layout": "rows"})
    replay = ([{**spec, "N": 1}] if int(spec.get("N", 1)) > 1 else []) + [spec]
    report = check_entry(entry, examples=1, seed=seed, replay=replay)
    if report.failing is None or report.error is not None or "crashed" in report.bug_codes:
        return None
    return report.failing


def _weak(part: Part) -> bool:
    """Whether a failed test's code is a reading check's closer look makes precise: a weak code (`WEAK_CODES`), or one
    that more of the failing cases did not find (`Part.contested`: a dx scaled by 0.5045 on one saturated case of a
    tanh whose other cases found no factor)."""
    return bool(part.codes) and (set(part.codes) <= WEAK_CODES or part.contested)


def name_parts(parts: list[Part], failing: CaseResult, display: dict[str, str]) -> None:
    """Each failed gradient test named by a weak reading (`_weak`) that check's failing case fails too takes check's
    code, its words and its case."""
    by_part = {display.get(g.name, g.name): g for g in failing.gradients if not g.passed and g.bug_code}
    for part in parts:
        g = by_part.get(part.component)
        if part.passed or g is None or not _weak(part):
            continue
        worst = ""
        if g.worst_index is not None and g.analytic_value is not None and g.numeric_value is not None:
            idx = ", ".join(map(str, g.worst_index))
            worst = f" (worst element [{idx}]: yours {g.analytic_value:.6g}, correct {g.numeric_value:.6g})"
        part.codes, part.message, part.smallest = [str(g.bug_code)], g.diagnosis + worst, describe_spec(failing.spec)


def named_as_check(box: Sandbox, grade: LayerGrade, failed: tuple[dict[str, Any], Callable[[Case], Any],
                    dict[str, str]], seed: int, assignment: Assignment) -> None:
    """The failed gradient tests named as `gradlab check` names the bug (`gradlab.grading.check_names`), on a
    budget of its own; whatever goes wrong there leaves the grader's own names, and never a score changed."""
    spec, make, display = failed
    if all(p.passed or not _weak(p) for p in grade.parts):
        return
    box.budget(assignment.limits.timeout, f"naming the bug of {grade.name}")
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            found = check_failure(make, grade.required.kind, grade.name, spec, seed)
    except Exception:  # noqa: BLE001 - a sandbox that failed here, or a grader bug: the votes stand
        return
    if found is not None and box.failure is None:
        name_parts(grade.parts, found, display)
