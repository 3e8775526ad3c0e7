"""A failure read as mismatch (or as zero-gradient) on the smallest case, shown where it can be named more precisely.

Hypothesis shrinks a failing case to the smallest one, often one pixel wide or one feature long, where no pattern in
the numbers shows (a gradient moved by the pad needs a width of 3 or more to be seen moved). When the smallest case
reads `mismatch`, the largest failing case the search met on the way, then the kind's own fixed case of the
batch-versus-per-sample run, is asked; the first whose failure a more precise code names is shown instead (the
report still names the smallest failing case). A factor is no such code: one fits any gradient with one live
element per sample (a loss's one-hot class) on any case. An axis order read on the smallest case gives way to a
reordering a larger case shows in no axis order (`misrouted`). A factor read on gradients of one element each
is no evidence either: a case where they hold more is asked, and its reading shown unless it is the same factor.
Non-goal: running the cases (`gradlab.cases.runner` gives `run`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gradlab.conventions.registry import Entry
from gradlab.core.results import CaseResult
from gradlab.kinds import KINDS

__all__ = ["FACTOR_CODES", "factor_on_one_element", "failing_size", "more_precise"]

#: a case's settings that a layer may take one value of only (a stride of 1, no padding)
GEOMETRY = ("stride", "pad")
#: codes that say a factor, which never replace a mismatch
FACTOR_CODES = ("scaled", "missing-batch-mean", "extra-batch-mean")


def failing_size(result: CaseResult) -> int:
    """How many elements the case's failing gradients hold: the largest case is the one most likely to show a
    pattern."""
    return sum(0 if g.analytic is None else int(g.analytic.size) for g in result.gradients if not g.passed)


def factor_on_one_element(result: CaseResult) -> bool:
    """Whether the case's only codes are factors read on gradients of one element each (an instance norm's dgamma
    over one channel): any wrong value is some factor of one right value, so the factor is no evidence there."""
    failed = [g for g in result.gradients if not g.passed]
    return bool(failed) and set(result.bug_codes) <= set(FACTOR_CODES) and \
        all(g.analytic is not None and g.analytic.size <= 1 for g in failed)


def _read_on_more(result: CaseResult) -> bool:
    """Whether a failing gradient of the case holds more than one element, in its parameter's shape (a scalar slope's
    gradient on a case built with a slope per feature says only that shape)."""
    return any(not g.passed and g.analytic is not None and g.numeric is not None and g.analytic.size > 1 and
               g.analytic.shape == g.numeric.shape for g in result.gradients)


def more_precise(entry: Entry, failing: CaseResult, largest: CaseResult | None,
                 run: Callable[[dict[str, Any]], CaseResult]) -> tuple[CaseResult, list[str]]:
    """The case to show for a failure the smallest case reads as mismatch, or as zero-gradient, and its codes (see
    the module docstring). A gradient all zero on the smallest case may be zero there only: a loop whose range
    stops one short (range(out_h - 1)) runs no step when the output is one pixel high, and on a larger case leaves
    out only the last row's terms. zero-gradient means all zero, so a case where every gradient is no longer all
    zero, and a more precise code names the failure, is shown instead; one that stays all zero stays zero-gradient.
    A gradient read as `transposed` on the smallest case (its values in an axis order of it) is shown where a larger
    case reads `misrouted` (in no axis order): a pooling window of one element is an identity, where a max pool's
    gradient sent to another window's maximum is any reordering at all, an axis order among them."""
    weak = set(failing.bug_codes)
    kind = KINDS.get(entry.kind)
    fixed = None if kind is None else {**failing.spec, "N": 3, **kind.batch_spec(entry.convention)}
    # and the fixed case in the failing case's geometry, which the layer may be the only one it takes (CMU's
    # Conv2d_stride1 pads nothing: the fixed case's pad of 1 is refused)
    same = None if fixed is None else {**fixed, **{k: v for k, v in failing.spec.items() if k in GEOMETRY}}
    # a gradient all zero on three samples may flow on more (a hinge loss's gradient at the few samples inside
    # the margin): the same, larger
    more = {**same, "N": 8} if same is not None and weak == {"zero-gradient"} else None
    for other in (largest, fixed, same if same != fixed else None, more):
        case = run(other) if isinstance(other, dict) else other
        if case is None or not case.failed or ("zero-gradient" in weak and "zero-gradient" in case.bug_codes):
            continue
        if weak <= set(FACTOR_CODES):  # a factor read on one element: what a case with more elements reads
            if factor_on_one_element(case) or not _read_on_more(case):
                continue
            return (failing, failing.bug_codes) if set(case.bug_codes) <= weak else (case, case.bug_codes)
        if weak == {"transposed"}:  # an axis order on the smallest case only: a window of one is an identity
            if "misrouted" in case.bug_codes and "transposed" not in case.bug_codes:
                return case, case.bug_codes
            continue
        if set(case.bug_codes) - {"mismatch", "crashed", "zero-gradient", *FACTOR_CODES}:
            return case, case.bug_codes
        if weak == {"zero-gradient"} and "mismatch" in case.bug_codes and "crashed" not in case.bug_codes:
            # all zero on the smallest case only: on a larger one the gradient flows, wrong in no pattern read here,
            # and "all zeros" would misstate it (a conv's dout padded by K for K - 1 shifts a 1x1 kernel's out)
            return case, case.bug_codes
    return failing, failing.bug_codes
