"""Fast mode: check a whole gradient at once along a few random directions.

An element-wise finite-difference check of an array of n elements costs 2n forward calls. Here
the array is moved along K random signed directions `d = s * v` (`s` the element-wise steps of
`gradlab.core.numeric.steps`, `v` Rademacher or Gaussian) and the directional difference
`sum(G * (y(θ + d) - y(θ - d))) / 2` is compared with the analytic `<a, d>`: 2K to 4K forward calls
(one or two step sizes per direction, below), whatever n is. Signed directions matter: with
all-positive ones an error of +e on one element and -e on another would cancel.

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

Each direction is first judged on the step `d` alone, with no truncation forgiven and a
tolerance shrunk by the rounding the Richardson combination would add (`_Judge.strict`): a
direction this settles is one the full test at `d` and `d/2` would pass as well (the proof is in
`_Judge.strict`), so passing costs two evaluations per direction on a smooth layer, and the half
steps are taken only for the directions it does not settle (a kink, a strongly curved layer, or a
wrong gradient): the guarantee is the same, at half the evaluations where nothing is wrong.

A failed projection is not a verdict: the caller re-checks element-wise, so verdict and diagnosis
are the element-wise check's (see `gradlab.core.check`). Non-goals: locating the wrong element,
naming the bug, and the input `x` of per-sample layers with few features per sample (cheaper by
stacking, see `gradlab.core.values`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlab.core import numeric
from gradlab.core.tolerances import ATOL, NOISE_MARGIN, RTOL

#: random directions per array; each costs four forward calls. A gradient error e passes one
#: direction v only if |e . v| stays under the tolerance, which for an error well above it happens
#: with probability ~ tolerance/|e|; three independent directions make that cubed. More buy little:
#: a projection never decides a failure (the element-wise check does), only a quick pass.
DIRECTIONS = 3
#: in mode "auto", arrays with more elements than this are checked by projection first
AUTO_MIN_SIZE = 512
#: float64 elements of moved arrays handed to a layer's batched `forward_replaced` per call (256 KB):
#: bigger batches gain nothing and cost page faults on fresh memory, which dominated fast mode
MOVES_BUDGET = 1 << 15
#: Hoeffding factor on the forgiven element-wise error: P(false failure) <= 2 exp(-Z²/2) per direction
Z = 6.0
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
        # random bits: 20x faster than rng.choice([-1.0, 1.0]), which draws int64 indices
        bits = rng.integers(0, 2, size=(count, *arr.shape), dtype=bool)
        return np.where(bits, 1.0, -1.0)
    if distribution == "gaussian":
        return rng.standard_normal((count, *arr.shape))
    raise ValueError(f"distribution must be 'rademacher' or 'gaussian', got {distribution!r}")


def projected_check(evaluate: Callable[[], np.ndarray], arr: np.ndarray, analytic: np.ndarray, G: np.ndarray, *,
                    directions: int = DIRECTIONS, rng: np.random.Generator | int | None = None,
                    rtol: float = RTOL, atol: float = ATOL, noise: float = 0.0, y0: np.ndarray | None = None,
                    h: np.ndarray | None = None, eps: float = EPS, distribution: str = "rademacher",
                    evaluate_many: Callable[[np.ndarray], np.ndarray] | None = None) -> ProjectionResult:
    """Compare `analytic` (dL/d`arr`, L = sum(G * y)) with finite differences along random directions.

    `evaluate()` must read `arr`, which is moved in place and restored bit for bit afterwards (also
    when `evaluate` raises). `atol` is relative to the largest analytic element, `noise` an absolute
    per-element floor in gradient units (the checker's rounding floor), as in `gradlab.core.check`.
    `y0` is the unperturbed output when the caller has it (saves one forward call). `h` are the
    element-wise steps (default `numeric.steps(arr)`) and `eps` the machine epsilon of the precision
    the layer really computes in (a layer that casts to float32 rounds at float32's epsilon).
    `evaluate_many(arrays)`, if given, returns the stacked outputs with `arr` replaced by each of
    `arrays` (K, *arr.shape): the moves of several directions then cost one call (a layer's
    optional `forward_replaced` hook, see `gradlab.core.protocol`); the arithmetic is the same.
    """
    _validate(arr, analytic, directions=directions, distribution=distribution)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    a = np.asarray(analytic, dtype=np.float64)
    Gf = np.asarray(G, dtype=np.float64)
    run = _Evaluations(arr, evaluate, evaluate_many)
    saved = arr.copy()
    try:
        if y0 is None:
            y0 = run.once()
        s = numeric.steps(saved) if h is None else np.broadcast_to(np.asarray(h, dtype=np.float64), saved.shape)
        abs_a = np.abs(a)
        scale = float(abs_a.max(initial=0.0))
        allowed = rtol * abs_a
        allowed += np.maximum(atol * scale if scale > 0 else atol, noise)
        allowed *= s
        # the scale of Σ δ_i s_i v_i for independent signs v (Hoeffding; exact std for Gaussian v)
        judge = _Judge(a=a.reshape(-1), g=Gf.reshape(-1), forgiven=_norm(allowed),
                       rounding=NOISE_MARGIN * eps * float(np.sum(np.abs(Gf * y0))), eps=eps,
                       a_theta=_dots(abs_a.reshape(1, -1), np.abs(saved).reshape(-1))[0], abs_a=abs_a.reshape(-1))
        _directions(run, judge, saved, s, gen, directions=directions, distribution=distribution,
                    batched=evaluate_many is not None)
    finally:
        arr[...] = saved
    return ProjectionResult(bool(judge.worst_ratio <= 1.0), float(judge.worst_rel), directions,
                            float(judge.worst_ratio), run.calls)


def _directions(run: _Evaluations, judge: _Judge, saved: np.ndarray, s: np.ndarray, gen: np.random.Generator, *,
                directions: int, distribution: str, batched: bool) -> None:
    """Move `saved` along `directions` random directions of steps `s` and judge each: ±d first, and
    ±d/2 (Richardson and the measured truncation) only where ±d does not settle it.

    With a batched evaluator, as many directions per call as MOVES_BUDGET allows; evaluated here one
    by one, all directions are drawn and judged together (numpy's per-call overhead on a dozen small
    arrays was a third of a small layer's fast check). The work arrays are reused from check to
    check (`_scratch`): fresh memory for them cost more page faults than a large layer's evaluations.
    """
    if batched:
        per_call = max(1, min(directions, MOVES_BUDGET // (2 * saved.size)))
    else:
        per_call = directions if 4 * directions * saved.size <= numeric.STACK_BUDGET else 1
    n = saved.size
    buffer = _scratch("moves", (per_call, 2, *saved.shape))
    for start in range(0, directions, per_call):
        k = min(per_call, directions - start)
        d = _scratch("d", (k, *saved.shape))
        if distribution == "rademacher":  # `directions_for`'s signs, without a fresh array of them
            np.copyto(d, gen.integers(0, 2, size=d.shape, dtype=bool), casting="unsafe")
            d *= 2.0
            d -= 1.0
            d *= s
        else:
            d[...] = directions_for(saved, gen, k, distribution)
            d *= s
        moves = buffer[:k]
        np.add(saved, d, out=moves[:, 0])
        np.subtract(saved, d, out=moves[:, 1])
        ys = run.many(moves.reshape(2 * k, *saved.shape)).reshape(k, 2, -1)
        full = np.subtract(moves[:, 0], moves[:, 1], out=_scratch("full", (k, *saved.shape))).reshape(k, n)
        full *= 0.5  # exact, as / 2
        open_ = np.flatnonzero(~judge.strict(ys, full))
        if open_.size:
            half_d = d[open_] * 0.5  # exact, as d / 2
            halves = np.stack([saved + half_d, saved - half_d], axis=1)
            ys_half = run.many(halves.reshape(2 * open_.size, *saved.shape)).reshape(open_.size, 2, -1)
            judge.richardson(ys[open_], ys_half, full[open_],
                             (halves[:, 0] - halves[:, 1]).reshape(open_.size, n) / 2.0)


#: work arrays kept for reuse, per thread, up to this many float64 elements each (32 MB)
SCRATCH_LIMIT = 1 << 22
_SCRATCH = threading.local()


def _scratch(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float64 work array of `shape`, contents undefined, reused by the next check in this thread
    when small enough (an array above `SCRATCH_LIMIT` elements is fresh each time)."""
    size = int(np.prod(shape))
    if size > SCRATCH_LIMIT:
        return np.empty(shape)
    pool: dict[str, np.ndarray] = _SCRATCH.__dict__.setdefault("pool", {})
    if name not in pool or pool[name].size < size:
        pool[name] = np.empty(size)
    return pool[name][:size].reshape(shape)


def _validate(arr: np.ndarray, analytic: Any, *, directions: int, distribution: str) -> None:
    if directions < 1:
        raise ValueError(f"directions must be at least 1, got {directions}")
    if not np.may_share_memory(arr.reshape(-1), arr):  # a copy is new memory; the exact test cost 0.25 ms
        raise ValueError("projected_check needs a contiguous array it can perturb in place")
    if not applicable(analytic, arr):
        raise ValueError("analytic must be a finite array of arr's shape; check it element-wise instead")
    if distribution not in ("rademacher", "gaussian"):
        raise ValueError(f"distribution must be 'rademacher' or 'gaussian', got {distribution!r}")


class _Evaluations:
    """The layer's outputs with `arr` moved, counted; in one call per chunk when the layer can."""

    def __init__(self, arr: np.ndarray, evaluate: Callable[[], np.ndarray],
                 evaluate_many: Callable[[np.ndarray], np.ndarray] | None):
        self.arr, self.evaluate, self.evaluate_many = arr, evaluate, evaluate_many
        self.calls = 0

    def once(self) -> np.ndarray:
        self.calls += 1
        return np.asarray(self.evaluate(), dtype=np.float64)

    def many(self, moves: np.ndarray) -> np.ndarray:
        """(K, outputs): the outputs with `arr` set to each of `moves`."""
        self.calls += len(moves)
        if self.evaluate_many is not None:
            return np.asarray(self.evaluate_many(moves), dtype=np.float64).reshape(len(moves), -1)
        ys = []
        for value in moves:
            self.arr[...] = value
            ys.append(np.asarray(self.evaluate(), dtype=np.float64).reshape(-1))
        return np.stack(ys)


class _Judge:
    """The projected error of every direction against what rounding and truncation can explain."""

    def __init__(self, *, a: np.ndarray, g: np.ndarray, forgiven: float, rounding: float, eps: float,
                 a_theta: float = 0.0, abs_a: np.ndarray | None = None):
        self.a, self.g, self.abs_a = a, g, np.abs(a) if abs_a is None else abs_a
        self.forgiven, self.rounding, self.eps = forgiven, rounding, eps
        #: Σ |a_i θ_i|: bounds what rounding θ ± d to representable numbers can do to <a, d>
        self.a_theta = a_theta
        self.worst_rel, self.worst_ratio = 0.0, 0.0

    def _record(self, err: np.ndarray, tol: np.ndarray, D: np.ndarray, p: np.ndarray) -> None:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(tol > 0, err / tol, np.where(err == 0, 0.0, np.inf))
        self.worst_ratio = max(self.worst_ratio, float(ratio.max(initial=0.0)))
        # scale-free like the element-wise error, but never large where both sides are noise
        self.worst_rel = max(self.worst_rel, float((err / np.maximum(np.maximum(np.abs(D) + np.abs(p), tol),
                                                                      1e-300)).max(initial=0.0)))

    def strict(self, ys: np.ndarray, full: np.ndarray) -> np.ndarray:
        """Which directions the step `d` alone settles (recorded as passed): `ys` (k, 2, outputs) at
        θ ± d, `full` (k, elements) the half-distances really taken.

        With x = <true - a, d>, D(d) = <true, d> + c + ρ (c the truncation, |ρ| <= r one evaluation's
        rounding), this passes when |x + c + ρ| <= F + ε - 5 r - β (F what the element-wise check
        forgives, ε the analytic side's rounding). Then |x| <= F + ε - 4 r - β + |c|, and the
        Richardson error, at most |x| + 3 r + β, is within its tolerance F + 3 r + ε + 4 |3c/4 + ρ'|
        >= F + 3 r + ε + max(0, 3|c| - 12 r) for every c: `richardson` would pass it too. β bounds what
        rounding θ ± d and θ ± d/2 to representable numbers does to <a, d/2> against <a, d>/2,
        (8/3) eps Σ|a|(|θ| + |d|); the same rounding's effect through the true gradient is of the
        same relative size (eps over the step, ~1e-11), far below any tolerance, and is not counted.
        """
        D = _dots(ys[:, 0] - ys[:, 1], self.g) / 2.0
        p = _dots(full, self.a)
        eps_term = self.eps * _dots(np.abs(full, out=_scratch("abs", full.shape)), self.abs_a)
        beta = (8.0 / 3.0) * (self.eps * self.a_theta + eps_term)
        tol = Z * self.forgiven + eps_term - 5.0 * self.rounding - beta
        err = np.abs(D - p)
        settled = (tol > 0) & (err <= tol)
        if settled.any():
            self._record(err[settled], tol[settled], D[settled], p[settled])
        return settled

    def richardson(self, ys_full: np.ndarray, ys_half: np.ndarray, full: np.ndarray, half: np.ndarray) -> None:
        """Directions judged on θ ± d (`ys_full`, (k, 2, outputs)) and θ ± d/2 (`ys_half`), with the
        half-distances really taken `full` and `half` (k, elements)."""
        D_full, D_half = _dots(ys_full[:, 0] - ys_full[:, 1], self.g) / 2.0, _dots(ys_half[:, 0] - ys_half[:, 1],
                                                                                     self.g) / 2.0
        p_full, p_half = _dots(full, self.a), _dots(half, self.a)
        # D(d) = <true, d> + C d³ + ...: 8 D(d/2) - D(d) cancels C, leaving three times the
        # projected error of `a`, with 9x one evaluation's rounding (hence 3 x rounding below)
        err = np.abs((8.0 * D_half - D_full) - (8.0 * p_half - p_full)) / 3.0
        # (D(d) - <a,d>) - 2 (D(d/2) - <a,d/2>) = 3/4 C d³: the curvature, whatever `a` is
        truncation = np.abs((D_full - p_full) - 2.0 * (D_half - p_half))
        tol = Z * self.forgiven + 3.0 * self.rounding + self.eps * _dots(np.abs(full), self.abs_a) \
            + TRUNCATION_MARGIN * truncation
        self._record(err, tol, D_full, p_full)


def _dots(rows: np.ndarray, v: np.ndarray) -> np.ndarray:
    """`rows @ v` without BLAS: these vectors are small, and a multithreaded BLAS call on them can
    cost milliseconds in thread wake-ups when the machine is busy."""
    return np.einsum("kn,n->k", rows, v)


def _norm(v: np.ndarray) -> float:
    """The Euclidean norm without BLAS (see `_dots`)."""
    return float(np.sqrt(np.sum(np.square(v))))
