"""Each passing gradient's worst case over the cases one layer was checked on, as the report shows it.

Non-goal: running the cases (that is `gradlab.cases.runner`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gradlab.core.compare import pooled_error
from gradlab.core.results import GradientResult

#: below this, a worst element's relative error is rounding noise: which case holds it depends on the machine
#: (its BLAS, its SIMD width, whether the complex step was timed faster), so a case below it never displaces the
#: first one checked, and the report written from it is the same everywhere (`gradlab.reporting.report`)
NOISE_BOUND = 1e-6


class WorstCases:
    """Each passing gradient's worst case over the cases checked: the one with the worst element, carrying
    the error of the whole arrays over all the cases (`pooled_error`; a projection's: its own)."""

    def __init__(self) -> None:
        self.gradients: dict[str, GradientResult] = {}
        self._norms: dict[str, list[tuple[float, float, float]]] = {}

    def add(self, gradients: Sequence[GradientResult]) -> None:
        for g in gradients:
            if not g.passed:
                continue
            held = self.gradients.get(g.name)
            if held is None or g.max_rel_error > max(held.max_rel_error, NOISE_BOUND):
                self.gradients[g.name] = g
            elif g.max_rel_error > held.max_rel_error:  # noise: the first case stays, its error the largest seen
                self.gradients[g.name] = replace(held, max_rel_error=g.max_rel_error)
            if g.error_norms is not None:
                self._norms.setdefault(g.name, []).append(g.error_norms)
            if g.name in self._norms:
                self.gradients[g.name] = replace(self.gradients[g.name], rel_error=pooled_error(self._norms[g.name]))
