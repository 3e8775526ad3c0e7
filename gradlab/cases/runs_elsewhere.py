"""A layer whose failing case crashed, searched once more for a case where it runs and returns wrong gradients.

A backward may crash on some shapes only (a max pool's index arithmetic that steps outside non-square windows, a
squeeze that breaks at N=1) and return a wrong gradient on every other one. The search for the smallest failing
case stops at the first failure, so the cases that ran may never have been drawn; the crash alone would then say
nothing of the bug the user meets on their own shapes. This search draws cases of its own (its own seed) and
stops only at a case that ran and failed on its gradients, which `where_it_fits.with_a_failure_that_ran` then
reports with the crash said last. A layer that crashes on some cases and is right on every other one (a backward
that fails at N=1 only) finds none: `crashed` alone is the right report there.
Non-goal: choosing between the two readings: the gradients' codes come first whenever a case ran wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hyp_seed

from gradlab.cases.seed_only import seed_only
from gradlab.cases.strategies import specs
from gradlab.core.results import CaseResult
from gradlab.kinds import Kind

__all__ = ["EXAMPLES", "failure_that_runs", "ran_elsewhere"]

#: cases drawn in the second search: a crash found early in the first one left most of its cases undrawn
EXAMPLES = 25


class _Ran(Exception):
    def __init__(self, result: CaseResult):
        super().__init__("a case ran and failed on its gradients")
        self.result = result


def _ran_wrong(result: CaseResult) -> bool:
    return result.failed and bool(result.gradients) and "crashed" not in result.bug_codes


def ran_elsewhere(failing: CaseResult | None, kind: Kind, convention: str,
                  run: Callable[[dict[str, Any]], CaseResult], **search: Any) -> list[CaseResult]:
    """[a case that ran and failed on its gradients] when the smallest failing case crashed before returning any
    (`failure_that_runs`), else []."""
    if failing is None or failing.gradients or "crashed" not in failing.bug_codes:
        return []
    found = failure_that_runs(kind, convention, run, **search)
    return [] if found is None else [found]


def failure_that_runs(kind: Kind, convention: str, run: Callable[[dict[str, Any]], CaseResult], *, seed: int,
                      flat_input: bool, fit: Callable[[Mapping[str, Any]], dict[str, Any]]) -> CaseResult | None:
    """The smallest case hypothesis finds (seeded from `seed`, EXAMPLES drawn) on which `run(spec)` returns gradients
    and fails on them, or None when every case drawn crashed or passed."""

    @settings(max_examples=EXAMPLES, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink),
              report_multiple_bugs=False)
    @given(specs(kind, convention=convention, flat_input=flat_input).map(fit))
    def search(spec: dict[str, Any]) -> None:
        result = run(spec)
        if _ran_wrong(result):
            raise _Ran(result)

    try:
        with seed_only():
            hyp_seed(seed + 1)(search)()
    except _Ran as exc:
        return exc.result
    except Exception:  # noqa: BLE001 - a second opinion only: the crash stands as it was
        return None
    return None
