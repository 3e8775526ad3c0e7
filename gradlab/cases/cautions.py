"""A kind's caution cases (`Kind.caution_specs`): fixed inputs where a layer that is right may still turn non-finite.

A softmax cross-entropy written `-np.log(probs[np.arange(N), y])` is the course's own provided code in CS231n's
`layers.py` of several years, and many learners' copies: its loss is inf only where the true class's probability
underflows to exactly 0 (a logit some 745 below the row's best), which training does not reach. Failing it would fail
the curriculum; passing it silently would hide what a log-softmax or a guard (`log(p + 1e-7)`, nnfs's clip) avoids.
So such a case is run once, for finiteness only, and a non-finite result is a warning naming the case.
Non-goal: the kind's extreme cases (`Kind.extreme_specs`), where a non-finite result is the bug (exp overflowing
without the row maximum subtracted) and fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gradlab.core.kind import Kind, describe_spec
from gradlab.core.results import WARN, CaseResult, Finding

__all__ = ["cautions"]


def cautions(kind: Kind, convention: str, run: Callable[..., CaseResult],
             overrides: Mapping[str, Any]) -> list[Finding]:
    """A warning for each of `kind`'s caution cases on which the layer's output or gradients are not finite, run as
    `run(spec, finite_only=True)` with `overrides` (a label encoding the layer takes, one sample at a time) put in.
    A case that crashes says nothing here: the drawn cases show a crash."""
    found: list[Finding] = []
    for spec, why in kind.caution_specs(convention):
        fitted = {**spec, **overrides}
        try:
            result = run(fitted, finite_only=True)
        except Exception:  # noqa: BLE001 - a caution is a second look; the drawn cases judge the layer
            continue
        if "non-finite" in result.bug_codes:
            found.append(Finding("non-finite", WARN, f"{why} (case: {describe_spec(fitted)})"))
    return found
