"""What the normalisation kinds share (layer, spatial batch and group norm): the normalised output
under each epsilon courses use, over the axes a kind normalises, and the reading of a dx that dropped
the mean's or the variance's path.

Non-goal: anything about one kind in particular (its own module says which axes, which shapes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradlab.core.kind import Case

#: epsilons courses use; the reference's first
EPSILONS = (1e-5, 1e-7, 1e-8, 1e-6, 1e-4, 1e-3, 0.0)


def normalised(x: np.ndarray, axes: tuple[int, ...], gamma: np.ndarray, beta: np.ndarray) -> list[np.ndarray]:
    """γ·(x − mean)/sqrt(var + eps) + β, the mean and variance over `axes`, for each of `EPSILONS`."""
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return [gamma * (x - mu) / np.sqrt(var + eps) + beta for eps in EPSILONS]


def _stat_terms(rows: np.ndarray, diff: np.ndarray) -> tuple[float, float, float]:
    """Per normalised group (a row), `diff` fitted by a multiple of 1 and of x̂: the norms of the two fitted
    parts and of what is left over (1 and x̂ are orthogonal, so the fit is two projections)."""
    centred = rows - rows.mean(axis=1, keepdims=True)
    xhat = centred / np.maximum(np.sqrt(np.mean(centred ** 2, axis=1, keepdims=True)), 1e-300)
    mean_part = np.repeat(diff.mean(axis=1, keepdims=True), rows.shape[1], axis=1)
    var_part = xhat * np.sum(diff * xhat, axis=1, keepdims=True) / np.maximum(np.sum(xhat ** 2, axis=1,
                                                                                       keepdims=True), 1e-300)
    rest = diff - mean_part - var_part
    return float(np.linalg.norm(mean_part)), float(np.linalg.norm(var_part)), float(np.linalg.norm(rest))


@dataclass(frozen=True)
class StatsPathReader:
    """`Kind.explain` for a normalisation: a dx that differs from the true one, in each normalised group, by
    a multiple of 1 (the mean's path, −mean(dx̂)/σ) and of x̂ (the variance's path, −x̂·mean(dx̂·x̂)/σ) and
    nothing else has dropped that path (`dropped-term`). Groups of one or two values say nothing (any
    difference is such a multiple there); other errors are left to the general diagnosis.

    `groups(case, array)` lays an array of x's shape out as one row per normalised group; `where` says
    over what the statistics are taken."""

    groups: Callable[[Case, np.ndarray], np.ndarray]
    where: str

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                 out: np.ndarray) -> tuple[str, str] | None:
        if target != "x" or analytic.shape != case.x.shape:
            return None
        rows = self.groups(case, case.x)
        if rows.shape[1] < 3:
            return None
        diff = self.groups(case, analytic) - self.groups(case, numeric)
        scale = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
        mean_part, var_part, rest = _stat_terms(rows, diff)
        if rest > 1e-6 * scale or mean_part + var_part < 1e-4 * scale:
            return None
        paths = [name for name, part in (("mean's", mean_part), ("variance's", var_part)) if part > 1e-3 * scale]
        if not paths:
            return None
        which = " and the ".join(paths)
        return ("dropped-term", f"dx differs from the true gradient by the {which} path{'s' if len(paths) > 1 else ''}"
                                f" alone: the mean and variance {self.where} depend on x too, so dx = (dx̂ − "
                                "mean(dx̂) − x̂·mean(dx̂·x̂)) / σ, with both terms there")
