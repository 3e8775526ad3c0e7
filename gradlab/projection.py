"""Fast mode: check a whole gradient at once along a few random directions.

An element-wise finite-difference check of an array of n elements costs 2n forward calls. Here
the array is moved along K random signed directions `d = s * v` (`s` the element-wise steps of
`gradlab.numeric.steps`, `v` Rademacher or Gaussian) and the directional difference
`sum(G * (y(θ + d) - y(θ - d))) / 2` is compared with the analytic `<a, d>`: 4K forward calls
(two step sizes per direction), whatever n is. Signed directions matter: with all-positive ones
an error of +e on one element and -e on another would cancel.

The tolerance of one direction is the sum of three honest terms:

- what the element-wise check itself would forgive. If every element satisfies
  `|δ_i| <= allowed_i = atol + rtol |a_i|`, then `Σ δ_i d_i` with independent random signs is
  sub-Gaussian with scale `||allowed ⊙ s||₂` (Hoeffding), so `Z = 6` of those scales is exceeded
  with probability below 3e-8. The deterministic bound `Σ allowed_i |d_i|` would be safe too, but
  it grows like n where the projection of a real bug grows like √n, and would hide bugs on big
  arrays;
- rounding in the forward pass: `NOISE_MARGIN * eps * Σ|G y|`, as in the element-wise check (the
  rounding of one evaluation does not depend on how many inputs were moved), amplified by the
  Richardson combination below; plus the analytic side's own rounding, `eps * Σ|a_i d_i|`;
- truncation and kinks of a whole-array move: measured, not assumed, as the disagreement between
  the steps `d` and `d/2`, with a margin.

A failed projection is not a verdict: the caller re-checks element-wise, so verdict and diagnosis
are the element-wise check's (see `gradlab.check`). Non-goals: locating the wrong element,
naming the bug, and the input `x` of per-sample layers (already cheap, by stacking).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from gradlab import numeric

#: random directions per array; each costs four forward calls
DIRECTIONS = 8
#: in mode "auto", arrays with more elements than this are checked by projection first
AUTO_MIN_SIZE = 512
#: Hoeffding factor on the forgiven element-wise error: P(false failure) <= 2 exp(-Z²/2) per direction
Z = 6.0
#: rounding noise of one forward evaluation, in units of eps * sum|G * y| (same margin as the checker)
NOISE_MARGIN = 100.0
#: the measured truncation (|D(d) - 2 D(d/2)|) is multiplied by this before it is forgiven
TRUNCATION_MARGIN = 4.0
EPS = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class ProjectionResult:
    """The verdict of a projected check: `passed`, the worst direction's relative error and how
    far it was from its tolerance (`worst_ratio` < 1 means inside), and the forward calls spent."""

    passed: bool
    max_rel_error: float
    directions: int
    worst_ratio: float
    evaluations: int

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "max_rel_error": self.max_rel_error, "directions": self.directions,
                "worst_ratio": self.worst_ratio, "evaluations": self.evaluations}


def applicable(analytic: Any, arr: np.ndarray) -> bool:
    """Whether a projection can judge `analytic` at all (else go straight to the element-wise check,
    whose shape and None diagnoses a projection cannot give)."""
    return (isinstance(analytic, np.ndarray) and analytic.shape == arr.shape and arr.size > 0
            and np.issubdtype(analytic.dtype, np.number) and bool(np.all(np.isfinite(analytic))))


def directions_for(arr: np.ndarray, rng: np.random.Generator, count: int, distribution: str) -> np.ndarray:
    """`count` signed unit-step directions of `arr`'s shape: ±1 (Rademacher) or standard normal."""
    if distribution == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=(count, *arr.shape))
    if distribution == "gaussian":
        return rng.standard_normal((count, *arr.shape))
    raise ValueError(f"distribution must be 'rademacher' or 'gaussian', got {distribution!r}")


def projected_check(evaluate: Callable[[], np.ndarray], arr: np.ndarray, analytic: np.ndarray, G: np.ndarray, *,
                    directions: int = DIRECTIONS, rng: np.random.Generator | int | None = None,
                    rtol: float = 1e-4, atol: float = 1e-7, noise: float = 0.0, y0: np.ndarray | None = None,
                    h: np.ndarray | None = None, eps: float = EPS, distribution: str = "rademacher",
                    evaluate_many: Callable[[np.ndarray], np.ndarray] | None = None) -> ProjectionResult:
    """Compare `analytic` (dL/d`arr`, L = sum(G * y)) with finite differences along random directions.

    `evaluate()` must read `arr`, which is moved in place and restored bit for bit afterwards (also
    when `evaluate` raises). `atol` is relative to the largest analytic element, `noise` an absolute
    per-element floor in gradient units (the checker's rounding floor), as in `gradlab.check`.
    `y0` is the unperturbed output when the caller has it (saves one forward call). `h` are the
    element-wise steps (default `numeric.steps(arr)`) and `eps` the machine epsilon of the precision
    the layer really computes in (a layer that casts to float32 rounds at float32's epsilon).
    `evaluate_many(arrays)`, if given, returns the stacked outputs with `arr` replaced by each of
    `arrays` (K, *arr.shape): the moves of several directions then cost one call (a layer's
    optional `forward_replaced` hook, see `gradlab.protocol`); the arithmetic is the same.
    """
    if directions < 1:
        raise ValueError(f"directions must be at least 1, got {directions}")
    if not np.shares_memory(arr.reshape(-1), arr):
        raise ValueError("projected_check needs a contiguous array it can perturb in place")
    if not applicable(analytic, arr):
        raise ValueError("analytic must be a finite array of arr's shape; check it element-wise instead")
    if distribution not in ("rademacher", "gaussian"):
        raise ValueError(f"distribution must be 'rademacher' or 'gaussian', got {distribution!r}")
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    a = np.asarray(analytic, dtype=np.float64)
    Gf = np.asarray(G, dtype=np.float64)
    calls = 0

    def outputs(arrays: list[np.ndarray]) -> list[np.ndarray]:
        """The outputs with `arr` set to each of `arrays`, in one call when the layer can."""
        nonlocal calls
        calls += len(arrays)
        if evaluate_many is not None:
            return list(np.asarray(evaluate_many(np.stack(arrays)), dtype=np.float64))
        ys = []
        for value in arrays:
            arr[...] = value
            ys.append(np.asarray(evaluate(), dtype=np.float64))
        return ys

    def difference(plus: np.ndarray, minus: np.ndarray, y_plus: np.ndarray, y_minus: np.ndarray
                   ) -> tuple[float, np.ndarray]:
        """sum(G * (y(θ+d) - y(θ-d))) / 2, and the half-distance really taken (representable steps)."""
        return float(np.vdot(Gf, y_plus - y_minus)) / 2.0, (plus - minus) / 2.0

    saved = arr.copy()
    try:
        if y0 is None:
            calls += 1
            y0 = np.asarray(evaluate(), dtype=np.float64)
        s = numeric.steps(saved) if h is None else np.broadcast_to(np.asarray(h, dtype=np.float64), saved.shape)
        scale = float(np.abs(a).max(initial=0.0))
        allowed = np.maximum(atol * scale if scale > 0 else atol, noise) + rtol * np.abs(a)
        rounding = NOISE_MARGIN * eps * float(np.sum(np.abs(Gf * y0)))
        # the scale of Σ δ_i s_i v_i for independent signs v (Hoeffding; exact std for Gaussian v)
        forgiven = float(np.linalg.norm(allowed * s))
        worst_rel, worst_ratio = 0.0, 0.0
        vs = directions_for(saved, gen, directions, distribution)
        # with a batched evaluator, as many directions per call as numeric.STACK_BUDGET allows
        per_call = max(1, numeric.STACK_BUDGET // (4 * saved.size)) if evaluate_many is not None else 1
        for start in range(0, directions, per_call):
            # four moves per direction: ±d for the difference, ±d/2 for Richardson and the truncation
            moves = [m for v in vs[start:start + per_call]
                     for d in (s * v, s * v / 2.0) for m in (saved + d, saved - d)]
            ys = outputs(moves)
            for k in range(0, len(moves), 4):
                D_full, full = difference(moves[k], moves[k + 1], ys[k], ys[k + 1])
                D_half, half = difference(moves[k + 2], moves[k + 3], ys[k + 2], ys[k + 3])
                p_full, p_half = float(np.vdot(a, full)), float(np.vdot(a, half))
                # D(d) = <true, d> + C d³ + ...: 8 D(d/2) - D(d) cancels C, leaving three times the
                # projected error of `a`, with 9x one evaluation's rounding (hence 3 x rounding below)
                err = abs((8.0 * D_half - D_full) - (8.0 * p_half - p_full)) / 3.0
                # (D(d) - <a,d>) - 2 (D(d/2) - <a,d/2>) = 3/4 C d³: the curvature, whatever `a` is
                truncation = abs((D_full - p_full) - 2.0 * (D_half - p_half))
                tol = (Z * forgiven + 3.0 * rounding
                       + eps * float(np.sum(np.abs(a * full))) + TRUNCATION_MARGIN * truncation)
                worst_ratio = max(worst_ratio, err / tol if tol > 0 else (0.0 if err == 0 else np.inf))
                # scale-free like the element-wise error, but never large where both sides are noise
                worst_rel = max(worst_rel, err / max(abs(D_full) + abs(p_full), tol, 1e-300))
    finally:
        arr[...] = saved
    return ProjectionResult(bool(worst_ratio <= 1.0), float(worst_rel), directions, float(worst_ratio), calls)
