"""A layer that failed on shapes alone, checked again where its feature sizes are all equal.

A gradient computed with its operands swapped (dW = doutᵀ · x) has the transpose of its parameter's shape,
and the layer's own next line (`dW += reg * W`, `self.weights -= lr * dW`, `np.hstack` of a gated cell's
pieces) crashes before any gradient is returned. Where the input, output and hidden sizes are all equal the
shapes fit by accident, every gradient is returned and judged, and each one the bug makes wrong is named
with its own code. The crash stays a finding (DESIGN.md: a backward that raised is `crashed`), its message
saying where the shapes fit. The same holds for a transposed gradient added to a term of the right shape
(`dW = probs.T @ X / N + 2 * reg * W`): where one size is 1, numpy broadcasts the two to a square, returned
as `wrong-shape`, which stays after the codes found where the shapes fit. The model checker does the same
for whole models (`gradlab.models.check`); both read a crash as one on mismatched shapes by
`gradlab.core.crash_reading.is_shape_crash`.
Non-goals: the batch N and the time T are never changed (a layer written for samples as columns fits when
the batch equals its features: that would be a bug it does not have), nor kinds with spatial geometry
(a convolution's or a pool's sizes are tied to each other); a layer that fails on shapes there too, or
passes there, keeps its failure as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.crash_reading import FITS_BY_ACCIDENT, RUNS_ELSEWHERE, is_shape_crash
from gradlab.core.results import FAIL, CaseResult, Finding, GradientResult

__all__ = ["codes_of", "equal_sizes", "where_it_fits", "with_a_failure_that_ran"]

#: spec keys that are a kind's feature sizes: input, output, hidden, classes, vocabulary
_FEATURES = ("D", "C", "H", "M", "V", "out", "in_shape")
#: spec keys of spatial geometry (width, kernel, stride, pooling, groups): a kind that has one is left alone
_GEOMETRY = ("W", "HH", "WW", "K", "F", "stride", "pad", "pool", "pool_h", "pool_w", "G", "group")


def equal_sizes(spec: dict[str, Any]) -> tuple[dict[str, Any], str] | None:
    """`spec` with its feature sizes all set to one size n, and a phrase naming them ("D and C all 3"), or
    None when there are fewer than two, they are equal already, or the kind has spatial geometry. n is the
    largest of them (2 at least, so that a transpose differs), moved off the batch and time sizes."""
    if any(k in spec for k in _GEOMETRY):
        return None
    keys = [k for k in spec if k in _FEATURES and (isinstance(spec[k], int) or
            (k == "in_shape" and isinstance(spec[k], tuple) and len(spec[k]) == 1))]
    sizes = [spec[k][0] if k == "in_shape" else spec[k] for k in keys]
    if len(keys) < 2 or len(set(sizes)) == 1:
        return None
    n = max(2, *sizes)
    # off N, T and N * T too: a time layer's (N * T, H) view would fit a size equal to it
    batch = {spec.get("N"), spec.get("T")}
    if isinstance(spec.get("N"), int) and isinstance(spec.get("T"), int):
        batch.add(spec["N"] * spec["T"])
    while n in batch:
        n += 1
    square = {**spec, **{k: (n,) if k == "in_shape" else n for k in keys}}
    names = ", ".join(keys[:-1]) + f" and {keys[-1]}"
    return square, f"{names} all {n}"


def where_it_fits(failing: CaseResult, run: Callable[[dict[str, Any]], CaseResult]) -> CaseResult | None:
    """The failing case run again at equal feature sizes (`run(spec)` checks the layer on a spec), if it failed
    on shapes alone (`_shape_failure`) and fails there on its gradients: that case, its gradient codes first and
    the shape failure last, whose message names both cases. None otherwise."""
    symptom = _shape_failure(failing)
    if symptom is None:
        return None
    equal = equal_sizes(dict(failing.spec))
    if equal is None:
        return None
    square, sizes = equal
    try:
        fitted = run(square)
    except Exception:  # noqa: BLE001 - a second opinion only: the failure stands as it was
        return None
    wrong = [g.name for g in fitted.gradients if not g.passed and g.bug_code]
    if not wrong or any(f.code == "crashed" for f in fitted.findings) or \
            any(g.bug_code == "wrong-shape" for g in fitted.gradients if not g.passed):
        return None
    said = replace(symptom, message=f"{symptom.message.rstrip()} with {failing.describe()}; {FITS_BY_ACCIDENT} "
                                    f"({sizes}) {', '.join(wrong)} "
                                    f"{'is' if len(wrong) == 1 else 'are'} wrong")
    return replace(fitted, findings=(*fitted.findings, said))


def _shape_failure(failing: CaseResult) -> Finding | None:
    """What failed on shapes alone, as a finding: a crash on mismatched shapes (no gradient returned), or
    gradients returned with the shape numpy broadcasts theirs and its transpose to, as a transposed gradient
    added to a term of the right shape makes (CS231n's dW = probs.T @ X / N + 2 * reg * W, at D = 1: (C, 1) +
    (1, C) is (C, C)); None for anything else, where equal sizes would hide a shape bug rather than show one."""
    crash = next((f for f in failing.findings if f.code == "crashed"), None)
    if crash is not None:
        return crash if not failing.gradients and is_shape_crash(crash.message) else None
    if any(f.severity == FAIL for f in failing.findings):
        return None
    wrong = [g for g in failing.gradients if not g.passed]
    if not wrong or not all(g.bug_code == "wrong-shape" and _broadcast_with_transpose(g) for g in wrong):
        return None
    return Finding("wrong-shape", FAIL, "; ".join(g.diagnosis for g in wrong), wrong[0].name)


def _broadcast_with_transpose(g: GradientResult) -> bool:
    given, shape = g.analytic_shape, g.shape
    if given is None or len(shape) != 2 or shape == shape[::-1]:
        return False
    try:
        return given == np.broadcast_shapes(shape, shape[::-1])
    except ValueError:
        return False


def codes_of(fitted: CaseResult) -> list[str]:
    """A fitted case's codes: the gradients' first, the crash last (`CaseResult.bug_codes` puts findings first)."""
    wrong = [g.bug_code for g in fitted.gradients if not g.passed and g.bug_code]
    return list(dict.fromkeys([*wrong, *fitted.bug_codes]))


def with_a_failure_that_ran(crashed: CaseResult, ran: CaseResult | None) -> CaseResult | None:
    """A layer whose smallest failing case crashed, but which ran and failed on its gradients in another case
    the search drew (a max-pool whose `divmod(k, pool_height)` steps outside the window on non-square pools
    and raises there, and sends gradient to the wrong positions on square ones): that case, its codes first and
    the crash last, the crash's message naming its own case. None when the crash is all there is."""
    crash = next((f for f in crashed.findings if f.code == "crashed"), None)
    if crash is None or crashed.gradients or ran is None:
        return None
    wrong = [g.name for g in ran.gradients if not g.passed and g.bug_code]
    if not wrong or any(f.code == "crashed" for f in ran.findings):
        return None
    said = replace(crash, message=f"{crash.message.rstrip()} with {crashed.describe()}; on {ran.describe()}, "
                                  f"{RUNS_ELSEWHERE} {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong")
    return replace(ran, findings=(*ran.findings, said))
