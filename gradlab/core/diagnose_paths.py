"""Diagnosis of dx whose term through some parameters has the wrong sign, read with those parameters' gradients.

An attention whose backward writes its softmax's derivative with the sign reversed flips the gradient of the scores:
dWq and dWk come out exactly -1 times the true ones, and dx, the sum of the paths through Wq, Wk and Wv, is the true
gradient with two of its three terms negated, which alone reads as a dropped term ("close to the true gradient").
A hypothesis tested on the numbers: where x reaches a parameter W only through x @ W, the true path's term p of dx
satisfies <p, x> = <dW, W> (both are the derivative of the loss along x @ W scaled by 1 + s, at s = 0). If dx = n - 2p
with p the terms through the parameters whose gradients are sign-flipped, then <(n - a) / 2, x> equals the sum of
<dW, W> over them, with dW the true gradients: one scalar identity no chance error meets to 1e-6. `sign-flip`.
Non-goal: finding which line flipped it (the parameters' own sentences say it is their gradients' sign).
"""

from __future__ import annotations

__all__ = ["flipped_path"]

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.core.results import GradientResult

#: the identity holds to this fraction of its terms' size
IDENTITY_RTOL = 1e-6
#: a parameter's gradient is -1 times the true one to this fraction of its norm
FLIPPED_RTOL = 1e-6


def _flipped(g: GradientResult) -> bool:
    a, n = g.analytic, g.numeric
    if g.passed or g.bug_code != "sign-flip" or a is None or n is None or np.shape(a) != np.shape(n):
        return False
    size = float(np.linalg.norm(n))
    return size > 0 and float(np.linalg.norm(np.asarray(a) + np.asarray(n))) <= FLIPPED_RTOL * size


def flipped_path(gradients: tuple[GradientResult, ...], names: Mapping[str, str], params: Mapping[str, Any],
                 x: Any) -> tuple[GradientResult, ...]:
    """`gradients` with dx read as `sign-flip` when its terms through the sign-flipped parameters explain it (see the
    module docstring); `names`: each target's gradient name (x and the parameters' keys)."""
    by_name = {g.name: g for g in gradients}
    dx = by_name.get(names.get("x", ""))
    if dx is None or dx.passed or dx.bug_code not in ("dropped-term", "mismatch") or dx.analytic is None or \
            dx.numeric is None or np.shape(dx.analytic) != np.shape(x) or np.shape(dx.numeric) != np.shape(x):
        return gradients
    flipped = [k for k, p in params.items() if k in names and names[k] in by_name and _flipped(by_name[names[k]])
               and np.shape(np.asarray(by_name[names[k]].numeric)) == np.shape(p)]
    if not flipped:
        return gradients
    a, n, x = (np.asarray(v, dtype=np.float64) for v in (dx.analytic, dx.numeric, x))
    lhs = float(np.sum((n - a) / 2 * x))
    terms = [float(np.sum(np.asarray(by_name[names[k]].numeric, dtype=np.float64) * np.asarray(params[k])))
             for k in flipped]
    rhs = sum(terms)
    size = abs(lhs) + sum(abs(t) for t in terms)
    if not size or abs(lhs - rhs) > IDENTITY_RTOL * size or not abs(rhs) > IDENTITY_RTOL * size:
        return gradients
    said = ", ".join(names[k] for k in flipped)
    reading = replace(dx, bug_code="sign-flip", diagnosis=f"{dx.name} is the true gradient with its term through "
                      f"{said} negated: that path has the wrong sign, as {said} themselves are exactly -1 times the "
                      f"true gradients (tested: <(n - a) / 2, x> equals the sum of <n, W> over them, as a path "
                      "through x @ W gives)")
    return tuple(reading if g is dx else g for g in gradients)
