"""The cases a layer is graded on: a fixed, seeded list drawn by hypothesis (no shrinking: the smallest failing case
is the smallest of the list), smallest first, then the kind's extreme cases (inputs beyond exp's overflow, logits near
1000), judged on finiteness alone.
Non-goal: running them (`gradlab.grading.grader`).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hyp_seed

from gradlab.cases.strategies import specs as spec_strategy
from gradlab.grading.assignment import Assignment
from gradlab.kinds import Kind, build_case

__all__ = ["draw_specs", "layer_specs"]


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
