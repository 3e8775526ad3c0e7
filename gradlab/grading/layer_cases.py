"""The cases a layer is graded on: a fixed, seeded list drawn by hypothesis (no shrinking: the smallest failing case
is the smallest of the list), smallest first, then the kind's extreme cases (inputs beyond exp's overflow, logits near
1000), judged on finiteness alone; and which of them ask the layer for evidence when a gradient fails there.
Non-goal: running them (`gradlab.grading.grader`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hyp_seed

from gradlab.cases.strategies import specs as spec_strategy
from gradlab.grading.assignment import Assignment
from gradlab.kinds import Case, Kind, build_case

__all__ = ["DIAGNOSED_CASES", "draw_specs", "evidence_withheld", "layer_specs", "withholding_evidence"]

#: the largest drawn cases whose failed gradients are diagnosed with what the layer answers (its Jacobians, its stored
#: arrays, its other true gradients), with the smallest failing case (whose words a test shows): these vote for each
#: test's code, the larger louder, as before (a tiny case can make a transposed gradient look like a dropped term).
#: The others are judged as every case is, and diagnosed from their values only, without a vote: an LSTM step asked
#: its evidence on all twelve cases took a minute under load, most of it round trips to the sandbox
DIAGNOSED_CASES = 3


def draw_specs(kind: Kind, convention: str, examples: int, seed: int, *,
               flat_input: bool = False) -> list[tuple[dict[str, Any], bool]]:
    """A fixed, reproducible list of (spec, finite_only), smallest first (by N, then size)."""
    drawn: list[dict[str, Any]] = []

    @settings(max_examples=examples, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(spec_strategy(kind, convention=convention, flat_input=flat_input))
    def collect(spec: dict[str, Any]) -> None:
        drawn.append(spec)

    hyp_seed(seed)(collect)()
    unique = list({repr(sorted(s.items())): s for s in drawn}.values())

    def size(spec: dict[str, Any]) -> tuple[int, int]:
        case = build_case(kind, spec)
        return int(spec["N"]), int(case.x.size + sum(p.size for p in case.params.values()))

    unique.sort(key=size)
    return [(s, False) for s in unique] + [(s, True) for s in kind.extreme_specs(convention)]


def layer_specs(kind: Kind, assignment: Assignment, seed: int, flat: bool,
                form: dict[str, Any]) -> list[tuple[dict[str, Any], bool]]:
    """The layer's cases: the drawn ones with what the probes found (`form`) put in, each once."""
    specs = [({**drawn, **form}, finite_only) for drawn, finite_only in
             draw_specs(kind, assignment.convention, assignment.examples, seed, flat_input=flat)]
    return list({repr((sorted(s.items()), f)): (s, f) for s, f in specs}.values())


def evidence_withheld(specs: list[tuple[dict[str, Any], bool]], spec: dict[str, Any], failures: int) -> bool:
    """Whether `spec`, one of `specs`, is checked without asking the layer for evidence, `failures` cases having
    failed before it: after the first failing case, all but the largest drawn ones (`DIAGNOSED_CASES`)."""
    return failures >= 1 and not any(spec is big for big in _largest(specs))


def _largest(specs: list[tuple[dict[str, Any], bool]]) -> list[dict[str, Any]]:
    """The largest drawn cases (`DIAGNOSED_CASES`; they come smallest first, the extreme ones after them)."""
    return [spec for spec, finite_only in specs if not finite_only][-DIAGNOSED_CASES:]


def withholding_evidence(make: Callable[[Case], Any]) -> Callable[[Case], Any]:
    """`make`, its layers marked so that a failed gradient is diagnosed from its values alone, without asking the
    layer (`gradlab.core.evidence`: a forward per element, a backward per output, each a round trip to the child)."""
    def withheld(case: Case) -> Any:
        layer = make(case)
        layer.evidence_withheld = True
        return layer

    return withheld
