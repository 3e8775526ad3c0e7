"""The finite-difference error against the step size h, for one gradient of one layer on one case.

Central differences err by truncation (~h²) at large steps and by rounding (~eps/h) at small ones: for
a correct gradient the error traces a V whose bottom lies far below the tolerance; for a wrong one it
stays flat at every step, which shows that the disagreement is the backward pass's and not an artefact
of the step gradlab chose. The registry report draws the V of the reference Sigmoid; a user's report
draws the curve of each failing layer on its smallest failing case.
Non-goal: verdicts (the curve only illustrates one that `gradlab.core` has given).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from gradlab.conventions.adapters import adapt
from gradlab.conventions.registry import Entry
from gradlab.core.numeric import looped_gradient, steps
from gradlab.core.protocol import grad_name
from gradlab.kinds import KINDS, build_case

#: one step per decade, from 1e-1 down to 1e-13
DECADES = tuple(float(h) for h in np.logspace(-1, -13, 13))
#: a larger array would cost too many forward calls (2 per element and step) for an illustration
MAX_ELEMENTS = 500


def numeric_per_step(entry: Entry, spec: dict[str, Any], gradient: str = "dx", *, upstream_seed: Any = None,
                     rel_steps: Sequence[float] = DECADES) -> tuple[np.ndarray, list[np.ndarray]] | None:
    """`gradient`'s analytic value (as the user spells it: dx, dW, dgamma) and its central differences for
    each relative step, on the case `spec`; None when that cannot be measured (no such gradient, a shape
    other than its array's, a larger array than `MAX_ELEMENTS`, or the layer raised).

    The upstream gradient is the check's own (`default_rng([seed, 1])`, 1 for a loss) unless
    `upstream_seed` is given.
    """
    kind = KINDS[entry.kind]
    case = build_case(kind, spec)
    layer = adapt(entry, kind, case)
    x = case.x.copy()
    t = None if case.t is None else case.t.copy()
    saved = {k: v.copy() for k, v in layer.params.items()}
    y = np.asarray(layer.forward(x, t), dtype=np.float64)
    if kind.is_loss and upstream_seed is None:
        G = np.array(1.0)
    else:
        rng = np.random.default_rng([int(spec.get("seed", 0)), 1] if upstream_seed is None else upstream_seed)
        G = rng.standard_normal(y.shape)
    dx, grads = layer.backward(G.copy())
    for k, v in saved.items():  # a layer that updates its weights in backward gets them back
        layer.params[k][...] = v
    targets = {grad_name(layer, k): k for k in ([*(["x"] if kind.x_differentiable else []), *layer.params])}
    target = targets.get(gradient)
    if target is None:
        return None
    analytic = dx if target == "x" else grads.get(target)
    arr = x if target == "x" else layer.params[target]
    if analytic is None or np.shape(analytic) != arr.shape or arr.size > MAX_ELEMENTS:
        return None
    numeric = [looped_gradient(lambda: layer.forward(x, t), arr, G, steps(arr, rel=h)) for h in rel_steps]
    return np.asarray(analytic, dtype=np.float64), numeric


def max_relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """The worst element's |a − n| / (|a| + |n|)."""
    return float(np.max(np.abs(numeric - analytic) / (np.abs(numeric) + np.abs(analytic) + 1e-300)))


def norm_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """‖a − n‖ / (‖a‖ + ‖n‖) over the whole array (blind to elements that are zero on both sides)."""
    return float(np.linalg.norm(analytic - numeric) /
                 max(float(np.linalg.norm(analytic) + np.linalg.norm(numeric)), 1e-300))


def reference_sigmoid_errors(rel_steps: Sequence[float] | None = None) -> tuple[list[float], list[float]]:
    """Max relative error of the reference Sigmoid's dx by central differences, for each step size."""
    from gradlab.conventions.registry import get

    hs = list(rel_steps or np.logspace(-1, -13, 25))
    measured = numeric_per_step(get("Sigmoid"), {"N": 4, "shape": (5,), "seed": 3, "scale": 1.0}, upstream_seed=0,
                                rel_steps=hs)
    assert measured is not None, "the reference Sigmoid returned no dx"
    analytic, numeric = measured
    return hs, [max_relative_error(analytic, n) for n in numeric]


def failing_gradient_errors(entry: Entry, spec: dict[str, Any],
                            gradient: str) -> tuple[list[float], list[float]] | None:
    """‖a − n‖ / (‖a‖ + ‖n‖) of `gradient` on the failing case `spec`, for each decade of step; None when it
    cannot be measured, whatever the user's layer does (it has already failed once)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            measured = numeric_per_step(entry, spec, gradient)
    except Exception:  # the layer raised on a rebuilt case: no curve, the verdict stands
        return None
    if measured is None:
        return None
    analytic, numeric = measured
    errors = [norm_error(analytic, n) for n in numeric]
    return (list(DECADES), errors) if all(np.isfinite(errors)) else None
