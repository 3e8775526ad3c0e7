"""The precision a layer really computes in, forward and backward, measured on the layer itself.

`measured_precision`: a float32 cast inside forward shows whatever dtype it returns, and sets the step, the
smallest honest rtol and the rounding-noise floor; `backward_precision`: the precision each gradient of the
backward was computed in, which sets that gradient's rtol, and `backward_noise` the noise its own rounding can
make. Used by the values step (`gradlab.core.values`) and the check (`gradlab.core.check`).
Non-goal: comparing gradients (that is `gradlab.core.values` and `gradlab.core.compare`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.core import numeric
from gradlab.core.protocol import grad_name
from gradlab.core.tolerances import NOISE_MARGIN_FLOAT32, RTOL, RTOL_FLOAT16, RTOL_FLOAT32

if TYPE_CHECKING:
    from gradlab.core.check import CheckContext

@dataclass(frozen=True)
class Precision:
    """Step and tolerance for the precision a layer really computes in (it may cast to float32)."""

    eps: float
    step: float  # relative step: eps ** (1/3) balances truncation against rounding
    rtol: float  # the smallest rtol that precision can honour
    name: str = "float64"  # as results say it: "float64", "float32", "float16"


def _precision(dtype: type[np.floating[Any]], rtol: float) -> Precision:
    eps = float(np.finfo(dtype).eps)
    return Precision(eps, eps ** (1 / 3), rtol, np.dtype(dtype).name)


PRECISIONS = {
    np.dtype(np.float64): Precision(float(np.finfo(np.float64).eps), numeric.STEP, RTOL, "float64"),
    np.dtype(np.float32): _precision(np.float32, RTOL_FLOAT32),
    np.dtype(np.float16): _precision(np.float16, RTOL_FLOAT16),
}
FLOAT64, FLOAT32 = PRECISIONS[np.dtype(np.float64)], PRECISIONS[np.dtype(np.float32)]

#: the relative size of the probe's perturbation: far below float32's epsilon (1.2e-7), far above float64's
PROBE_EPS = 1e-10
#: a move at float64 finite differences' step larger than this (relative to y) was not float64 arithmetic
#: that failed to move at PROBE_EPS
PROBE_MOVED = 2e-10


def precision_of(y: Any) -> Precision:
    """float64 unless the layer's output says it computed in a lower precision."""
    return PRECISIONS.get(np.asarray(y).dtype, FLOAT64)


def lower(a: Precision, b: Precision | None) -> Precision:
    """The coarser of two precisions (None: no evidence either way)."""
    return a if b is None or a.eps >= b.eps else b


def measured_precision(forward: Callable[[], Any], arrays: list[np.ndarray], y0: np.ndarray,
                       rng: np.random.Generator) -> Precision | None:
    """The precision the layer really computes in, measured on the layer itself: float64, float32,
    or None when the probe says nothing (no float array to perturb, an output of zeros, an output
    that does not depend on the arrays, a crash).

    `arrays` (x, or the parameters) are perturbed in place by +-PROBE_EPS relative with random
    normal factors, `forward()` evaluated at both, and the arrays put back exactly. A float64
    computation answers smoothly: an output that changes changes by opposite amounts (d+ = -d-, to
    float64 rounding). One that rounds to float32 anywhere on the way leaves the output bit-identical
    (the perturbation rounds away) or jumps by a float32 quantum on one side only. Only when nothing
    moved at all and the output is not made of float32 numbers, a third call takes float64 finite
    differences' step: a float32 computation then moves by float32-sized amounts, a float64 one that
    does not depend on the arrays here (batch norm of two samples, a saturated tanh) by next to
    nothing. A stochastic layer draws the same random numbers at every call (its adapter does that).
    """
    arrays = [a for a in arrays if np.issubdtype(a.dtype, np.floating) and a.size]
    # normal, not +-1: a layer invariant to scaling its input (batch norm of a column whose signs all agree)
    # would not move by more than its own rounding
    signs = [rng.standard_normal(a.shape) * a for a in arrays]
    considered = (y0 != 0) & np.isfinite(y0)
    if not arrays or not any(np.any(s != 0) for s in signs) or not considered.any():
        return None
    saved = [a.copy() for a in arrays]

    def moved(deltas: list[np.ndarray]) -> np.ndarray | None:  # output(arrays + deltas) - y0, where considered
        try:
            for a, s0, d in zip(arrays, saved, deltas):
                a[...] = s0 + d
            y = np.array(forward(), dtype=np.float64, copy=True)
        except Exception:  # a crash here is found (and reported) by the steps that own it
            return None
        finally:
            for a, s0 in zip(arrays, saved):
                a[...] = s0
        return (y - y0)[considered] if y.shape == y0.shape and np.all(np.isfinite(y[considered])) else None

    d1 = moved([PROBE_EPS * s for s in signs])
    d2 = None if d1 is None else moved([-PROBE_EPS * s for s in signs])
    if d1 is None or d2 is None:
        return None
    y = np.abs(y0[considered])
    found = _from_the_moves(d1, d2, y)
    if found is not None:
        return found
    # else: would float64 finite differences see float32 quanta? A float64 computation that did not
    # move at PROBE_EPS does not depend on the arrays here (batch norm of two samples, a saturated tanh)
    d3 = moved([numeric.steps(a, numeric.STEP) * np.sign(s) for a, s in zip(arrays, signs)])
    if d3 is None:
        return None
    # (not moving at PROBE_EPS bounds its move here by STEP / PROBE_EPS float64 ulps, ~1e-11 |y|)
    return FLOAT32 if np.any(np.abs(d3) > PROBE_MOVED * y) else None


def _one_quantum(d1: np.ndarray, d2: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Moves that are one power of two on both sides, to float64 rounding of y: a float32 result rounding
    by one unit each way, not a smooth change. A float32 sum that cancels to a small value moves by more
    than its own unit at PROBE_EPS (np.dot patched to return float32, the nnfs book's nnfs.init(), then a
    float64 bias added); a float64 move is a power of two by chance about once in 1e5 elements."""
    with np.errstate(divide="ignore"):
        unit = np.exp2(np.round(np.log2(np.maximum(np.abs(d1), np.abs(d2)))))
    tol = 4 * np.spacing(y)
    # far above y's own float64 rounding, which is a power of two too (batch norm of two samples moves by it)
    return (np.abs(np.abs(d1) - unit) <= tol) & (np.abs(np.abs(d2) - unit) <= tol) & (unit > 64 * np.spacing(y))


def _from_the_moves(d1: np.ndarray, d2: np.ndarray, y: np.ndarray) -> Precision | None:
    """The verdict of the +-PROBE_EPS moves d1, d2 of outputs of size y; None when nothing moved
    and the output is not made of float32 numbers (the caller then looks again, closer to the check)."""
    changed = (d1 != 0) | (d2 != 0)
    if changed.any():
        # antisymmetric to within a few float64 ulps of y (however ill-conditioned the element: batch
        # norm of samples far from 0). A float32 rounding boundary is on one side of PROBE_EPS only
        big = np.maximum(np.abs(d1), np.abs(d2))
        smooth = changed & (np.abs(d1 + d2) <= 0.25 * big + 4 * np.spacing(y)) & ~_one_quantum(d1, d2, y)
        return FLOAT64 if 2 * int(smooth.sum()) >= int(changed.sum()) else FLOAT32
    # nothing moved. Outputs that are float32 numbers, not all of them round ones (a saturated tanh's
    # +-1 is a float16 number too), were computed in float32
    with np.errstate(over="ignore"):
        return FLOAT32 if np.all(y.astype(np.float32) == y) and np.any(y.astype(np.float16) != y) else None


def backward_precision(a: Any, terms: np.ndarray | None = None) -> Precision | None:
    """The precision a gradient came back in: its dtype below float64, or float64 numbers that are all float32
    numbers (and not all float16 ones: zeros, +-1 and small integers are both). A float64 computation gives a
    float32 number by chance about once in 2^29 elements; a backward whose last step rounds to float32 gives
    nothing else, whatever array it stores the result in (the nnfs book's `np.empty_like(dvalues)` filled from
    an np.dot that `nnfs.init()` made return float32). Elements far below their own terms (`terms`, from
    `operand_moves`) are left out: float64 rounding noise of a cancellation (a bias before batch norm, whose true
    gradient is 0) is a number of few bits, often a float32 one. None: no evidence of a precision below float64."""
    if a is None or not isinstance(a, np.ndarray) or not a.size:
        return None
    if a.dtype in (np.float32, np.float16):
        return PRECISIONS[np.dtype(a.dtype)]
    if a.dtype != np.float64:
        return None
    kept = np.isfinite(a)
    if terms is not None and terms.shape == a.shape:
        kept &= ~(np.abs(a) < DROWNED * terms)
    finite = a[kept]
    with np.errstate(over="ignore"):
        if finite.size and np.all(finite.astype(np.float32) == finite) and np.any(finite.astype(np.float16) != finite):
            return FLOAT32
    return None


def _noise_step(p: Precision) -> float:
    """How far `backward_noise` moves every operand, relative: the square root of the precision's epsilon, so
    that its own rounding (eps) is a small part of the move, and the move's second-order effect (eps) too."""
    return float(np.sqrt(p.eps))


def operand_moves(ctx: CheckContext, targets: list[str], s: float) -> dict[str, np.ndarray]:
    """How far each element of the gradients `targets` moves per unit of relative rounding of what backward works
    with: the size of the terms it is computed from, which rounding to a precision makes it wrong by eps times.

    A backward rounds the numbers it works with (dout and what forward stored: its output, its input, the
    parameters) and its intermediates to its precision; the result's error is first order in those roundings.
    So every floating array the layer holds (`LayerState`, recorded before the checked backward) and dout are
    moved by independent random relative amounts of size s, backward is called, and the gradient's rms change
    over two draws, over s, is returned. Independent moves break the identities a cancellation rests on, so this
    sees terms that cancel: softmax's Jacobian diag(y) - y y^T at a saturated y, whose entries are differences
    of numbers near 1 (a float32 product there is off by 6e-8 where the entry is 4e-7); a bias before batch
    norm, whose true gradient is 0 and whose computed one is float64 rounding of terms of size dout. Measuring
    the noise as the backward's failure to be linear in dout (B(a) + B(b) - B(a + b)) sees none of that (the
    rounded Jacobian is one fixed matrix, applied linearly to every dout), and a backward nonlinear in dout
    (dout ** 2, a mask taken from dout) would raise its own floor; a first-order move is s-relative at most for
    a smooth backward, whatever it computes. The layer is put back exactly after each draw (`LayerState.restore`,
    which also undoes gradients added into with +=). Empty when the layer cannot be moved so (no recorded state,
    a crash)."""
    state = ctx.state
    if state is None or not targets:
        return {}
    rng = np.random.default_rng([ctx.seed, 8])
    moved = [(arr, values) for arr, values in state.arrays if np.issubdtype(arr.dtype, np.floating) and arr.size
             and arr.flags.writeable and arr.shape == values.shape]
    sums: dict[str, np.ndarray] = {}
    draws = 2
    try:
        for _ in range(draws):
            state.restore()
            for arr, values in moved:
                arr[...] = values * (1.0 + s * rng.standard_normal(values.shape))
            G = ctx.G * (1.0 + s * rng.standard_normal(np.shape(ctx.G)))
            dx, grads = ctx.layer.backward(G)
            got = ctx.gradients_of(dx, grads)
            for k in targets:
                a, b = ctx.analytic.get(k), got.get(k)
                if a is None or b is None or np.shape(b) != a.shape:
                    return {}
                d = np.asarray(b, dtype=np.float64) - a.astype(np.float64)
                sums[k] = sums.get(k, 0.0) + d * d
    except Exception:  # a crash here is found (and reported) by the steps that own it
        return {}
    finally:
        state.restore()
        ctx.restore()
    with np.errstate(over="ignore", invalid="ignore"):
        return {k: np.sqrt(sums[k] / draws) / s for k in targets}


def backward_noise(moves: np.ndarray, p: Precision) -> float:
    """What rounding to precision `p` can make a gradient wrong by, in absolute terms (`operand_moves` its
    elements' moves per unit of relative rounding): eps times the largest, with the float32 margin. Capped by
    construction: only gradients computed below float64 get one, and for a smooth backward it is about
    eps * |gradient| unless the gradient is a cancellation, so a 1%-off backward still fails."""
    largest = float(np.max(moves, initial=0.0))
    return NOISE_MARGIN_FLOAT32 * p.eps * largest if np.isfinite(largest) else 0.0


#: an element smaller than this times its terms (`operand_moves`) is left out of the dout probe: a move of
#: PROBE_EPS of it is below float64's rounding of its terms, so float64 arithmetic would not move smoothly either
#: (layer norm over two features, a bias before batch norm: gradients that are rounding noise of much larger terms)
DROWNED = 1e-3


@dataclass(frozen=True)
class OwnPrecision:
    """A gradient's own precision, read off what backward returned, and the noise floor that precision gives it."""

    precision: Precision
    noise: float = 0.0


def backward_precisions(ctx: CheckContext) -> dict[str, OwnPrecision]:
    """Every gradient that backward computed in a precision below float64, with its floor (`backward_noise`). A
    gradient that a second backward changed (state kept between calls) is judged as it is: no precision of its
    own."""
    kept_state = {f.gradient for f in ctx.findings if f.code == "mismatch"}
    judged = [k for k, a in ctx.analytic.items() if a is not None and grad_name(ctx.layer, k) not in kept_state]
    typed = [p for k in judged if (p := PRECISIONS.get(np.asarray(ctx.analytic[k]).dtype)) is not None]
    coarsest = max(typed, key=lambda p: p.eps, default=FLOAT32)
    moves = operand_moves(ctx, judged, _noise_step(lower(coarsest, FLOAT32))) if judged else {}
    found = {k: p for k in judged if (p := backward_precision(ctx.analytic[k], moves.get(k))) is not None}
    if ctx.precision.eps < FLOAT32.eps:  # (a forward already float32 or coarser sets every gradient's precision)
        # float64 numbers that are not float32 ones may still have been through float32 on the way (dout cast to
        # float32, then a float64 W): ask the backward itself, as the forward is asked
        found.update(_dout_probe(ctx, [k for k in judged if k not in found and k in moves], moves))
    return {k: OwnPrecision(p, backward_noise(moves[k], p) if k in moves and p.eps > ctx.precision.eps else 0.0)
            for k, p in found.items()}


def _dout_probe(ctx: CheckContext, targets: list[str], terms: dict[str, np.ndarray]) -> dict[str, Precision]:
    """The gradients `targets` that backward computes below float64, read off how they move when dout does: dout
    moved by +-PROBE_EPS relative, as `measured_precision` moves a forward's inputs. A float64 backward is linear
    in dout and moves smoothly; one that rounds dout or its intermediates to float32 moves by nothing or by one
    float32 unit on one side. Where nothing moved, a move at finite differences' step tells a float32 rounding
    (which moves then) from a gradient that does not depend on dout here (which does not). Elements far below
    their own terms (`terms`: `operand_moves`, DROWNED) are left out. Two or three backward calls in all, the
    layer put back after each."""
    state = ctx.state
    if not targets or state is None or not np.size(ctx.G) or not np.issubdtype(np.asarray(ctx.G).dtype, np.floating):
        return {}
    rng = np.random.default_rng([ctx.seed, 9])
    sign = rng.standard_normal(np.shape(ctx.G)) * ctx.G

    def moves(delta: np.ndarray) -> dict[str, np.ndarray] | None:
        try:
            state.restore()
            dx, grads = ctx.layer.backward(np.array(ctx.G + delta, dtype=np.float64))
            got = ctx.gradients_of(dx, grads)
        except Exception:  # a crash here is found (and reported) by the steps that own it
            return None
        finally:
            state.restore()
            ctx.restore()
        out = {}
        for k in targets:
            a, b = ctx.analytic[k], got.get(k)
            if a is None or b is None or np.shape(b) != a.shape:
                return None
            out[k] = np.asarray(b, dtype=np.float64) - np.asarray(a, dtype=np.float64)
        return out

    d1 = moves(PROBE_EPS * sign)
    d2 = None if d1 is None else moves(-PROBE_EPS * sign)
    if d1 is None or d2 is None:
        return {}
    found: dict[str, Precision] = {}
    still: list[str] = []
    for k in targets:
        a = np.asarray(ctx.analytic[k], dtype=np.float64)
        considered = (a != 0) & np.isfinite(a) & ~(np.abs(a) < DROWNED * terms[k])
        if not considered.any():
            continue
        p = _from_the_moves(d1[k][considered], d2[k][considered], np.abs(a[considered]))
        if p is None:
            still.append(k)
        elif p is not FLOAT64:
            found[k] = p
    if still:
        d3 = moves(numeric.steps(np.asarray(ctx.G, dtype=np.float64), numeric.STEP) * np.sign(sign)) or {}
        for k in still if d3 else ():
            a = np.asarray(ctx.analytic[k], dtype=np.float64)
            considered = (a != 0) & np.isfinite(a) & ~(np.abs(a) < DROWNED * terms[k])
            if np.any(np.abs(d3[k][considered]) > PROBE_MOVED * np.abs(a[considered])):
                found[k] = FLOAT32
    return found


def judged_at(ctx: CheckContext, own: OwnPrecision | None) -> tuple[float, Precision]:
    """The rtol and precision a gradient is judged at: the forward's (measured), or the backward's own if lower."""
    if own is None:
        return ctx.rtol, ctx.precision
    p = lower(ctx.precision, own.precision)
    return max(ctx.rtol, p.rtol), p
