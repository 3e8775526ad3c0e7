"""Step 4 of the check: every gradient's values against finite differences, in the mode asked for.

"full" checks every element by central differences, computed the cheapest exact way the layer
allows: stacking (x of a per-sample layer), output separation (`gradlab.core.separation`: the
element loop's numbers from a call per fiber), the complex step (`gradlab.core.complex_step`), or
the element loop; "fast" projects on a few random directions
first (a cost that does not grow with the array's size) and goes element-wise only when that
disagrees, so a failure's verdict and diagnosis are the full check's; "auto" is fast for arrays of
more than `projection.AUTO_MIN_SIZE` elements. Also the precision a layer computes in, measured on the
layer itself (`measured_precision`: a float32 cast inside shows whatever dtype it returns), which
sets the step, the smallest honest rtol and the rounding-noise floor; and the precision each gradient
of the backward was computed in (`backward_precision`), which sets that gradient's rtol and the noise
its own rounding can make (`backward_noise`).
Non-goal: the other steps of the recipe (that is `gradlab.core.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.core import complex_step, numeric, projection, separation
from gradlab.core.compare import compare, jacobians, noise_floor
from gradlab.core.protocol import Layer, grad_name, user_view
from gradlab.core.results import GradientResult
from gradlab.core.tolerances import NOISE_MARGIN_FLOAT32, RTOL, RTOL_FLOAT16, RTOL_FLOAT32

if TYPE_CHECKING:
    from gradlab.core.check import CheckContext

MODES = ("auto", "full", "fast")


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
class _Own:
    """A gradient's own precision, read off what backward returned, and the noise floor that precision gives it."""

    precision: Precision
    noise: float = 0.0


def _backward_precisions(ctx: CheckContext) -> dict[str, _Own]:
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
    return {k: _Own(p, backward_noise(moves[k], p) if k in moves and p.eps > ctx.precision.eps else 0.0)
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


def _judged_at(ctx: CheckContext, own: _Own | None) -> tuple[float, Precision]:
    """The rtol and precision a gradient is judged at: the forward's (measured), or the backward's own if lower."""
    if own is None:
        return ctx.rtol, ctx.precision
    p = lower(ctx.precision, own.precision)
    return max(ctx.rtol, p.rtol), p


def check_values(ctx: CheckContext) -> tuple[GradientResult, ...]:
    """One `GradientResult` per analytic gradient (x first, then parameters in canonical order)."""
    kind = ctx.kind
    xw = ctx.case.x.astype(np.float64, copy=True) if kind.x_differentiable else ctx.case.x.copy()
    tw = None if ctx.case.t is None else ctx.case.t.copy()
    arrays = {k: xw if k == "x" else ctx.layer.params[k] for k in ctx.analytic}
    # fast mode: one projection over every array it applies to (a dozen forward calls in all); only
    # if that disagrees does each array get its own projection, then the element-wise check. A layer
    # that evaluates many replaced arrays per call (`forward_replaced`) is cheaper per array.
    jointly: dict[str, GradientResult] = {}
    # before any finite difference: the layer still holds what the checked forward stored
    own = _backward_precisions(ctx)
    chosen = [k for k, a in ctx.analytic.items() if _projects(ctx, k, arrays[k], a)]
    if len(chosen) < len(ctx.analytic):  # an element-wise check follows: the probe is cheap beside it
        ctx.settle_precision()
    if len(chosen) > 1 and not callable(getattr(ctx.layer, "forward_replaced", None)):
        for _ in range(2):  # again only if the precision measured is lower than the one assumed
            jointly = _projected_jointly(ctx, chosen, {k: arrays[k] for k in chosen}, xw=xw, tw=tw, own=own) or {}
            ctx.restore()
            if _settled(ctx, list(jointly.values())):
                break
    gradients = []
    for target, a in ctx.analytic.items():
        if target in jointly:
            gradients.append(jointly[target])
            continue
        gradients.append(_check_array(ctx, target, arrays[target], a, xw=xw, tw=tw, own=own.get(target)))
    # each gradient says the precision it was judged at: the forward's, or its own backward's if lower
    return tuple(replace(g, precision=_judged_at(ctx, own.get(k))[1].name) for k, g in zip(ctx.analytic, gradients))


def _check_array(ctx: CheckContext, target: str, arr: np.ndarray, a: np.ndarray | None, *, xw: np.ndarray,
                 tw: Any, own: _Own | None = None) -> GradientResult:
    layer = ctx.layer
    if a is not None and _projects(ctx, target, arr, a):
        for _ in range(2):  # again only if the precision measured is lower than the one assumed
            projected = _projected(ctx, target, arr, a, h=numeric.steps(arr, ctx.precision.step), xw=xw, tw=tw,
                                   own=own)
            ctx.restore()
            if _settled(ctx, [] if projected is None else [projected]):
                break
        if projected is not None:
            return projected
    ctx.settle_precision()
    h = numeric.steps(arr, ctx.precision.step)
    numeric_grad, how = _numeric(ctx, target, arr, h, xw=xw, tw=tw)
    ctx.restore()
    evaluate_at = _element_evaluator(layer, arr, xw, tw)
    # the finite differences' rounding, and the backward's own where it computes below float64
    noise = max(noise_floor(ctx.y0, ctx.G, h, ctx.precision.eps), own.noise if own else 0.0)
    rtol = _judged_at(ctx, own)[0]
    if how != "complex step":  # a step too coarse for where the function varies shows as truncation error
        numeric_grad = numeric.refined_where_poor(
            numeric_grad, a, gradient_at=lambda half: _numeric(ctx, target, arr, half, xw=xw, tw=tw)[0],
            evaluate_at=evaluate_at, G=ctx.G, h=h, noise=noise)
        ctx.restore()
    # Jacobians cost a forward per element and a backward per output: computed only on failure
    jac = partial(jacobians, layer, target, arr, h=h, xw=xw, tw=tw, y0=ctx.y0, evaluate_at=evaluate_at,
                  state=ctx.state)
    result = compare(grad_name(layer, target), a, numeric_grad, steps=h, upstream=ctx.G, evaluate_at=evaluate_at,
                     batch_size=ctx.case.N, rtol=rtol, atol=ctx.atol,
                     noise=noise, jacobians=jac,
                     show=user_view(layer, target), show_upstream=user_view(layer, "out"))
    ctx.restore()
    return replace(result, method=f"{result.method} ({how})") if how else result


def _settled(ctx: CheckContext, passed: list[GradientResult]) -> bool:
    """Whether a projection's outcome (`passed`: its passing results, none when it disagreed) stands at
    the precision the layer computes in. The probe is deferred to here: a projection that passes
    with errors within rtol needs none, and only a layer rounding in a lower precision than assumed
    disagrees or passes with larger errors (its rounding noise looks like truncation to Richardson's
    estimate, so it can pass); measuring then (`CheckContext.settle_precision`) either confirms the
    precision, and the outcome stands, or lowers it, and the projection is redone at it."""
    if passed and max(g.max_rel_error for g in passed) <= ctx.rtol:
        return True
    return not ctx.settle_precision()


def _stacked(ctx: CheckContext, target: str) -> bool:
    """x of a layer that treats samples independently is differentiated by stacking perturbed copies."""
    kind = ctx.kind
    return target == "x" and not (kind.is_loss or kind.mixes_samples or kind.stochastic)


def _numeric(ctx: CheckContext, target: str, arr: np.ndarray, h: np.ndarray, *, xw: np.ndarray,
             tw: Any) -> tuple[np.ndarray, str]:
    """The numeric gradient, and how it was computed when that is not central differences ("")."""
    layer = ctx.layer
    if _stacked(ctx, target):
        try:
            return numeric.stacked_input_gradient(lambda xb: layer.forward(xb, None), xw, ctx.y0, ctx.G, h), ""
        except numeric.StackingRefused:
            pass
    remote = getattr(layer, "forward_perturbed", None)
    many: Callable[[np.ndarray, np.ndarray], np.ndarray]
    if callable(remote):  # a layer in another process evaluates a whole chunk per round trip
        def many(idx: np.ndarray, values: np.ndarray) -> np.ndarray:
            return np.asarray(remote(target, idx, values, x=xw, t=tw))
    else:
        # exact ways to spend fewer calls than two per element, cheapest first (see their modules)
        separated = separation.gradient(lambda: layer.forward(xw, tw), arr, ctx.y0, ctx.G, h,
                                        rng=np.random.default_rng([ctx.seed, 4]))
        if separated is not None:  # the element loop's very numbers
            return separated[0], ""
        if _complex_steps(ctx, target, arr):
            stepped = complex_step.gradient(layer, target, arr, x=xw, t=tw, y0=ctx.y0, G=ctx.G, h=h,
                                            eps=ctx.precision.eps, rng=np.random.default_rng([ctx.seed, 5]),
                                            max_cost=complex_step.MAX_COST)
            ctx.restore()
            if stepped is not None:
                return stepped, "complex step"
        many = numeric.local_evaluator(lambda: layer.forward(xw, tw), arr)
    return numeric.batched_gradient(many, arr, ctx.G, h, out_size=ctx.y0.size), ""


def _complex_steps(ctx: CheckContext, target: str, arr: np.ndarray) -> bool:
    """The complex step is tried on float64 layers, for arrays large enough to repay its checks."""
    return (arr.size >= complex_step.MIN_SIZE and ctx.precision.eps == PRECISIONS[np.dtype(np.float64)].eps
            and np.issubdtype(arr.dtype, np.floating) and complex_step.untrusted(ctx.layer, target) is None)


def _projects(ctx: CheckContext, target: str, arr: np.ndarray, a: Any) -> bool:
    """Projection pays off where the element loop would run, and for x of a per-sample layer whose
    stacked check (2 D + 2 batches' worth of work for D features per sample) costs more than the
    projection at its dearest (4 evaluations per direction); and only for an analytic gradient it can
    judge (right shape, finite)."""
    if ctx.mode == "full" or (ctx.mode == "auto" and arr.size <= projection.AUTO_MIN_SIZE):
        return False
    if _stacked(ctx, target) and 2 * (arr.size // max(1, ctx.case.N)) + 2 <= 4 * projection.DIRECTIONS:
        return False
    return projection.applicable(a, arr)


def _passing(ctx: CheckContext, target: str, arr: np.ndarray, a: np.ndarray, *, error: float,
             method: str, rtol: float) -> GradientResult:
    show = user_view(ctx.layer, target)  # shapes and arrays as the user holds them
    user_a = show(np.asarray(a, dtype=np.float64))
    return GradientResult(name=grad_name(ctx.layer, target), shape=show(arr).shape, analytic_shape=user_a.shape,
                          passed=True, max_rel_error=error, rel_error=error, checked=int(arr.size), rtol=rtol,
                          atol=ctx.atol * float(np.abs(a).max(initial=0.0)), analytic=user_a, method=method)


def _projected(ctx: CheckContext, target: str, arr: np.ndarray, a: np.ndarray, *, h: np.ndarray, xw: np.ndarray,
               tw: Any, own: _Own | None = None) -> GradientResult | None:
    """A passing result checked by projection, or None: then the element-wise check decides."""
    layer, eps = ctx.layer, ctx.precision.eps
    rtol = _judged_at(ctx, own)[0]
    replaced = getattr(layer, "forward_replaced", None)
    many = (lambda arrays: replaced(target, arrays, x=xw, t=tw)) if callable(replaced) else None
    proj = projection.projected_check(lambda: layer.forward(xw, tw), arr, a, ctx.G,
                                      rng=np.random.default_rng([ctx.seed, 2]), rtol=rtol, atol=ctx.atol,
                                      noise=max(noise_floor(ctx.y0, ctx.G, h, eps), own.noise if own else 0.0),
                                      y0=ctx.y0, h=h, eps=eps, evaluate_many=many)
    if not proj.passed:
        return None
    return _passing(ctx, target, arr, a, error=proj.max_rel_error,
                    method=f"projection ({proj.directions} random directions)", rtol=rtol)


def _projected_jointly(ctx: CheckContext, targets: list[str], arrays: dict[str, np.ndarray], *, xw: np.ndarray,
                       tw: Any, own: dict[str, _Own] | None = None) -> dict[str, GradientResult] | None:
    """Passing results for all `targets` from one projection of their concatenation, or None.

    Random signs are independent across arrays as within one, so errors in two arrays cannot
    cancel any more than two errors in one array can.
    """
    prec, own = ctx.precision, own or {}
    # one projection: the loosest of the targets' own tolerances (a backward's own below float64 for one of them)
    rtol = max(_judged_at(ctx, own.get(k))[0] for k in targets)
    own_noise = max((own[k].noise for k in targets if k in own), default=0.0)
    joint = np.concatenate([arrays[k].reshape(-1) for k in targets])
    a = np.concatenate([np.asarray(ctx.analytic[k], dtype=np.float64).reshape(-1) for k in targets])
    h = np.concatenate([numeric.steps(arrays[k], prec.step).reshape(-1) for k in targets])
    bounds = np.cumsum([0] + [arrays[k].size for k in targets])

    def scatter() -> None:
        for k, lo, hi in zip(targets, bounds[:-1], bounds[1:]):
            arrays[k].reshape(-1)[...] = joint[lo:hi]

    def evaluate() -> np.ndarray:
        scatter()
        return ctx.layer.forward(xw, tw)

    try:
        proj = projection.projected_check(evaluate, joint, a, ctx.G, rng=np.random.default_rng([ctx.seed, 3]),
                                          rtol=rtol, atol=ctx.atol,
                                          noise=max(noise_floor(ctx.y0, ctx.G, h, prec.eps), own_noise),
                                          y0=ctx.y0, h=h, eps=prec.eps)
    finally:
        scatter()  # restored by projected_check: copy back exactly
    if not proj.passed:
        return None
    method = f"projection ({proj.directions} random directions, jointly over {', '.join(targets)})"
    return {k: _passing(ctx, k, arrays[k], np.asarray(ctx.analytic[k]), error=proj.max_rel_error, method=method,
                        rtol=rtol) for k in targets}


def _element_evaluator(layer: Layer, arr: np.ndarray, xw: np.ndarray, tw: Any) -> Callable[[int, float], np.ndarray]:
    flat = arr.reshape(-1)

    def evaluate_at(k: int, delta: float) -> np.ndarray:
        old = flat[k]
        flat[k] = old + delta
        try:
            return np.array(layer.forward(xw, tw), dtype=np.float64, copy=True)
        finally:
            flat[k] = old

    return evaluate_at
