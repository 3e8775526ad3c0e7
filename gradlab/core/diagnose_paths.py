"""Diagnosis of dx whose term through some parameters is off by one factor, read with those parameters' gradients.

An attention whose backward writes its softmax's derivative with the sign reversed flips the gradient of the scores:
dWq and dWk come out exactly -1 times the true ones, and dx, the sum of the paths through Wq, Wk and Wv, is the true
gradient with two of its three terms negated, which alone reads as a dropped term ("close to the true gradient").
Likewise an attention whose backward leaves out the scores' 1/sqrt(d) gives dWq and dWk exactly sqrt(d) times the
true ones, and dx the true gradient with those two terms scaled.
A hypothesis tested on the numbers: where x reaches a parameter W only through x @ W, the true path's term p of dx
satisfies <p, x> = <dW, W> (both are the derivative of the loss along x @ W scaled by 1 + s, at s = 0). If dx = n +
(c - 1) p with p the terms through the parameters whose gradients are c times the true ones (one c for all of them),
then <(a - n) / (c - 1), x> equals the sum of <dW, W> over them, with dW the true gradients: one scalar identity no
chance error meets to 1e-6. `sign-flip` for c = -1, else `scaled` (bugs.py: one term off by a constant factor).
A gradient with one live element fits a factor whatever its bug (dx of a layer with one input feature, on the
smallest case): read as a factor there while another gradient of the layer names a mask or route the values show
(dW and db misrouted by a ReLU mask inverted in front of them), it takes that code, as the same wrong signal reaches
it (`factor_on_one_element`).
Non-goal: finding which line scaled it (the parameters' own sentences say it is their gradients' factor).
"""

from __future__ import annotations

__all__ = ["across_gradients", "factor_on_one_element", "flipped_path"]

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.results import GradientResult

#: the identity holds to this fraction of its terms' size
IDENTITY_RTOL = 1e-6
#: a parameter's gradient is c times the true one to this fraction of its norm
FLIPPED_RTOL = 1e-6
#: a factor this close to 1 scales nothing measurable; two factors this close are one
FACTOR_RTOL = 1e-4


def _factor(g: GradientResult) -> float | None:
    """c with g's analytic gradient exactly c times the true one, c not 1 (None otherwise)."""
    a, n = g.analytic, g.numeric
    if g.passed or g.bug_code not in ("sign-flip", "scaled") or a is None or n is None or np.shape(a) != np.shape(n):
        return None
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    size = float(np.linalg.norm(n))
    if not size > 0:
        return None
    c = float(np.sum(a * n)) / size ** 2
    if abs(c - 1.0) <= FACTOR_RTOL or float(np.linalg.norm(a - c * n)) > FLIPPED_RTOL * size:
        return None
    return c


def _one_factor(factors: list[float]) -> float | None:
    c = factors[0]
    return c if all(abs(f - c) <= FACTOR_RTOL * abs(c) for f in factors) else None


def flipped_path(gradients: tuple[GradientResult, ...], names: Mapping[str, str], params: Mapping[str, Any],
                 x: Any) -> tuple[GradientResult, ...]:
    """`gradients` with dx read as `sign-flip` (or `scaled`) when its terms through the parameters whose gradients
    are one factor off explain it (see the module docstring); `names`: each target's gradient name (x and the
    parameters' keys)."""
    by_name = {g.name: g for g in gradients}
    dx = by_name.get(names.get("x", ""))
    if dx is None or dx.passed or dx.bug_code not in ("dropped-term", "mismatch") or dx.analytic is None or \
            dx.numeric is None or np.shape(dx.analytic) != np.shape(x) or np.shape(dx.numeric) != np.shape(x):
        return gradients
    factors = {k: _factor(by_name[names[k]]) for k in params if k in names and names[k] in by_name
               and np.shape(np.asarray(by_name[names[k]].numeric)) == np.shape(params[k])}
    scaled = [k for k, c in factors.items() if c is not None]
    c = _one_factor([f for f in factors.values() if f is not None]) if scaled else None
    if c is None:
        return gradients
    a, n, x = (np.asarray(v, dtype=np.float64) for v in (dx.analytic, dx.numeric, x))
    lhs = float(np.sum((a - n) / (c - 1.0) * x))
    terms = [float(np.sum(np.asarray(by_name[names[k]].numeric, dtype=np.float64) * np.asarray(params[k])))
             for k in scaled]
    rhs = sum(terms)
    size = abs(lhs) + sum(abs(t) for t in terms)
    if not size or abs(lhs - rhs) > IDENTITY_RTOL * size or not abs(rhs) > IDENTITY_RTOL * size:
        return gradients
    said = ", ".join(names[k] for k in scaled)
    if abs(c + 1.0) <= FACTOR_RTOL:
        code, how, as_ = "sign-flip", "negated: that path has the wrong sign", "exactly -1 times"
    else:
        code, how = "scaled", f"{c:.4g} times the true one: that path is off by a constant"
        as_ = f"exactly {c:.4g} times"
    reading = replace(dx, bug_code=code, diagnosis=f"{dx.name} is the true gradient with its term through {said} "
                      f"{how}, as {said} themselves are {as_} the true gradients (tested: <(a - n) / (c - 1), x> "
                      "equals the sum of <n, W> over them, as a path through x @ W gives)")
    return tuple(reading if g is dx else g for g in gradients)


#: codes that say a factor, which one live element always fits
FACTOR_CODES = ("scaled", "missing-batch-mean", "extra-batch-mean", "sign-flip")
#: codes of a signal sent to the wrong elements, which reach every gradient computed from that signal
ROUTE_CODES = ("misrouted", "missing-mask")


def factor_on_one_element(gradients: tuple[GradientResult, ...]) -> tuple[GradientResult, ...]:
    """`gradients` with a factor read on one live element replaced by the route another gradient names (see the
    module docstring)."""
    route = next((g for g in gradients if not g.passed and g.bug_code in ROUTE_CODES), None)
    if route is None:
        return gradients

    def one_live(g: GradientResult) -> bool:
        if g.passed or g.bug_code not in FACTOR_CODES or g.analytic is None or g.numeric is None:
            return False
        n = np.asarray(g.numeric, dtype=np.float64)
        return int(np.count_nonzero(np.abs(n) > 1e-9 * float(np.abs(n).max(initial=0.0)))) == 1

    said = f"; one element fits any factor, and {route.name} is {route.bug_code}: the same wrong signal reaches " \
           "this gradient (read on a case where it has more elements, it shows no factor)"
    return tuple(replace(g, bug_code=route.bug_code, diagnosis=g.diagnosis + said) if one_live(g) else g
                 for g in gradients)


def across_gradients(gradients: tuple[GradientResult, ...], names: Mapping[str, str], params: Mapping[str, Any],
                     x: Any) -> tuple[GradientResult, ...]:
    """The readings that need the layer's other gradients: a path's factor (`flipped_path`), then a factor read on
    one element (`factor_on_one_element`)."""
    return factor_on_one_element(flipped_path(gradients, names, params, x))
