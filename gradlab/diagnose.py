"""Diagnosis: from a wrong analytic gradient and the true (numeric) one, name the bug.

The questions are asked from the most specific to the least: is there a gradient at all, does its
shape say how it went wrong (transposed, reduced over the wrong axes, not reshaped back), is it
the true gradient times one constant (N: the batch mean's 1/N is missing; 1/N: divided twice; -1:
a sign flip; anything else: scaled), are the values in transposed positions, does it agree with
the true gradient only in part (a dropped term). What is left is a plain mismatch.
Non-goal: structural bugs (mutated inputs, coupled samples, stale parameters) come from the checker.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a fitted scale factor explains the gradient when the residual is below this fraction
FIT_RTOL = 1e-3
#: a factor is "equal" to N, 1/N, -1 when within this relative distance
FACTOR_RTOL = 0.02


@dataclass(frozen=True)
class Diagnosis:
    code: str
    sentence: str
    factor: float | None = None


def _close(a: np.ndarray, b: np.ndarray, tol: float = 1e-4) -> bool:
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-12)
    return a.shape == b.shape and bool(np.all(np.abs(a - b) <= tol * scale))


def _near(value: float, target: float) -> bool:
    return abs(value - target) <= FACTOR_RTOL * abs(target)


def diagnose_shape(name: str, a: np.ndarray, n: np.ndarray, N: int) -> Diagnosis:
    """The analytic gradient `a` does not have the true gradient `n`'s shape."""
    shape_txt = f"{name} has shape {a.shape} but should have {n.shape}"
    if a.size == n.size and a.ndim == 2 and n.ndim == 2 and _close(a.T, n):
        return Diagnosis("transposed", f"{shape_txt}: it is the transpose of the right gradient")
    if a.size == n.size and n.ndim >= 2 and _close(a.reshape(n.shape[::-1]).T, n):
        return Diagnosis("transposed", f"{shape_txt}: it holds the right values in transposed order")
    if a.size == n.size and _close(a.reshape(n.shape), n):
        return Diagnosis("wrong-shape", f"{shape_txt}: the values are right, reshape it to {n.shape}")
    if a.size == 1:
        return Diagnosis("wrong-reduction", f"{shape_txt}: it was summed over all axes to a single number")
    if a.ndim > n.ndim or (a.shape and a.shape[0] == N and (not n.shape or n.shape[0] != N)):
        return Diagnosis("wrong-reduction", f"{shape_txt}: it still has the batch axis; sum it over the batch")
    if a.size < n.size:
        return Diagnosis("wrong-reduction", f"{shape_txt}: it was summed over an axis that should remain")
    return Diagnosis("wrong-shape", shape_txt)


def fit_factor(a: np.ndarray, n: np.ndarray) -> tuple[float, float]:
    """Least-squares c with a ≈ c·n, and the relative residual |a − c·n| / |a|."""
    nn = float(np.vdot(n, n))
    if nn == 0.0:
        return float("nan"), float("inf")
    c = float(np.vdot(a, n)) / nn
    residual = float(np.linalg.norm(a - c * n)) / max(float(np.linalg.norm(a)), 1e-300)
    return c, residual


def diagnose_values(name: str, a: np.ndarray, n: np.ndarray, ok: np.ndarray, N: int) -> Diagnosis:
    """Same shape, wrong values. `ok` marks elements already within tolerance."""
    if not np.all(np.isfinite(a)):
        return Diagnosis("non-finite", f"{name} contains NaN or inf")
    if not np.any(a):
        return Diagnosis("zero-gradient", f"{name} is all zeros but the true gradient is not")
    c, residual = fit_factor(a, n)
    if residual <= FIT_RTOL:
        if _near(c, -1.0):
            return Diagnosis("sign-flip", f"{name} has the wrong sign: it is -1 times the true gradient", c)
        if N > 1 and _near(c, float(N)):
            return Diagnosis("missing-batch-mean", f"{name} is N={N} times too large: the batch mean's 1/N is missing", c)
        if N > 1 and _near(c, 1.0 / N):
            return Diagnosis("extra-batch-mean", f"{name} is N={N} times too small: it was divided by N once too often", c)
        return Diagnosis("scaled", f"{name} is {c:.4g} times the true gradient", c)
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1 and _close(a.T, n):
        return Diagnosis("transposed", f"{name} holds the right values in transposed positions")
    # agreement in part: many elements exactly right, or the missing part is a clean remainder
    matched = float(np.mean(ok)) if ok.size else 0.0
    cos = float(np.vdot(a, n)) / max(float(np.linalg.norm(a) * np.linalg.norm(n)), 1e-300)
    if (0.0 < matched < 1.0 and matched >= 0.1) or cos >= 0.6:
        return Diagnosis("dropped-term", f"{name} agrees with the true gradient only in part "
                         f"({matched:.0%} of elements right): a term or path is missing")
    return Diagnosis("mismatch", f"{name} does not match the true gradient and no simple pattern explains it")
