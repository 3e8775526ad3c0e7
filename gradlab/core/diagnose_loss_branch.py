"""Diagnosis of a regression loss whose derivative has the wrong formula on one branch: a Huber loss returning the
residual `x - t` in its linear region too, where `delta * sign(x - t)` belongs. Right on some elements and wrong on
others reads as a dropped term, yet nothing is missing: one branch of a piecewise loss is written with another
formula. A hypothesis tested on the layer: over inputs drawn around the targets (the same targets, residuals spread
past any threshold of the case), the elements where the analytic gradient is right and those where it is wrong lie on
the two sides of one threshold of the residual |x - t| (or of x - t). `mismatch`: the formula on that side is wrong.
Non-goals: losses with class labels (their rows couple classes), a branch off by one factor or one constant term
(`gradlab.core.diagnose_formula`, `gradlab.core.diagnose_branch`, for layers whose output has the input's shape).
"""

from __future__ import annotations

__all__ = ["branch_formula"]

from functools import partial

import numpy as np

from gradlab.core import numeric
from gradlab.core.diagnose_where import AGREES, Found
from gradlab.core.evidence import Evidence

#: inputs drawn around the targets, and the largest input probed element by element
DRAWS, MAX_SIZE = 8, 64
#: each side of the threshold holds at least this many elements over the draws
MIN_SIDE = 4


def _true_gradient(ev: Evidence, x: np.ndarray) -> np.ndarray:
    """The loss's gradient at `x` by central differences, element by element (gradlab's orientation)."""
    h = numeric.steps(x)
    g = np.empty_like(x)
    for k in range(x.size):
        up, down = x.copy(), x.copy()
        up.reshape(-1)[k] += h.reshape(-1)[k]
        down.reshape(-1)[k] -= h.reshape(-1)[k]
        diff = float(np.sum(ev.layer.forward(up, ev.t))) - float(np.sum(ev.layer.forward(down, ev.t)))
        g.reshape(-1)[k] = diff / (2 * h.reshape(-1)[k])
    return g


def _shown_true_gradient(ev: Evidence, x: np.ndarray) -> np.ndarray:
    return np.asarray(ev.show(_true_gradient(ev, x)), dtype=np.float64)


def _sides(ev: Evidence) -> tuple[np.ndarray, np.ndarray] | None:
    """(residual x - t, whether the analytic gradient is right there), flat, over the draws; None: cannot tell."""
    t = np.asarray(ev.t, dtype=np.float64)
    spread = 2.0 * float(np.abs(np.asarray(ev.x, dtype=np.float64) - t).max(initial=0.0)) + 2.0
    rng = np.random.default_rng(23)
    residuals, right = [], []
    for _ in range(DRAWS):
        x = t + spread * rng.uniform(-1.0, 1.0, t.shape)
        a = ev.analytic_with_input(x)
        n = ev._quietly(partial(_shown_true_gradient, ev, x))
        if a is None or n is None or np.shape(a) != np.shape(n) or not np.all(np.isfinite(a)):
            return None
        scale = max(float(np.abs(n).max(initial=0.0)), 1e-300)
        residuals.append(np.asarray(ev.show(x - t), dtype=np.float64).reshape(-1))
        right.append((np.abs(np.asarray(a) - n) <= AGREES * scale).reshape(-1))
    return np.concatenate(residuals), np.concatenate(right)


def branch_formula(name: str, ev: Evidence | None) -> Found | None:
    """See the module docstring; None: no such reading."""
    if ev is None or ev.target != "x" or ev.G is None or np.size(ev.y0) != 1 or not 0 < ev.x.size <= MAX_SIZE:
        return None
    if not isinstance(ev.t, np.ndarray) or ev.t.shape != ev.x.shape or not np.issubdtype(ev.t.dtype, np.floating):
        return None
    seen = _sides(ev)
    if seen is None:
        return None
    r, right = seen
    if right.sum() < MIN_SIDE or (~right).sum() < MIN_SIDE:
        return None
    for z, said in ((np.abs(r), "|x - t|"), (r, "x - t")):
        if z[right].max() < z[~right].min():
            edge, where, other = (z[right].max() + z[~right].min()) / 2, "below", "above"
        elif z[~right].max() < z[right].min():
            edge, where, other = (z[~right].max() + z[right].min()) / 2, "above", "below"
        else:
            continue
        return Found("mismatch", f"{name} is right where {said} lies {where} {edge:.3g} and wrong {other} it, on "
                     "inputs drawn around the targets: the derivative's formula on that branch of the loss is wrong "
                     "(e.g. a Huber loss's linear branch is delta * sign(x - t), not the residual x - t)")
    return None
