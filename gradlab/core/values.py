"""Step 4 of the check: every gradient's values against finite differences, in the mode asked for.

"full" checks every element by central differences, computed the cheapest exact way the layer
allows: stacking (x of a per-sample layer), output separation (`gradlab.core.separation`: the
element loop's numbers from a call per fiber), the complex step (`gradlab.core.complex_step`), or
the element loop; "fast" projects on a few random directions
first (a cost that does not grow with the array's size) and goes element-wise only when that
disagrees, so a failure's verdict and diagnosis are the full check's; "auto" is fast for arrays of
more than `projection.AUTO_MIN_SIZE` elements. Each gradient is judged at the precision the layer
really computes in, forward and backward (`gradlab.core.precision`).
Non-goal: the other steps of the recipe (that is `gradlab.core.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from gradlab.core import complex_step, numeric, projection, separation
from gradlab.core.compare import compare, jacobians, noise_floor
from gradlab.core.precision import PRECISIONS, OwnPrecision, backward_precisions, judged_at
from gradlab.core.protocol import Layer, grad_name, user_view
from gradlab.core.results import GradientResult

if TYPE_CHECKING:
    from gradlab.core.check import CheckContext

MODES = ("auto", "full", "fast")


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
    own = backward_precisions(ctx)
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
    return tuple(replace(g, precision=judged_at(ctx, own.get(k))[1].name) for k, g in zip(ctx.analytic, gradients))


def _check_array(ctx: CheckContext, target: str, arr: np.ndarray, a: np.ndarray | None, *, xw: np.ndarray,
                 tw: Any, own: OwnPrecision | None = None) -> GradientResult:
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
    rtol = judged_at(ctx, own)[0]
    if how != "complex step":  # a step too coarse for where the function varies shows as truncation error
        numeric_grad = numeric.refined_where_poor(
            numeric_grad, a, gradient_at=lambda half: _numeric(ctx, target, arr, half, xw=xw, tw=tw)[0],
            evaluate_at=evaluate_at, G=ctx.G, h=h, noise=noise)
        ctx.restore()
    # Jacobians cost a forward per element and a backward per output: computed only on failure, and not for a layer
    # whose evidence is withheld (the grader's proxy on its later cases: each costs a round trip to the sandbox)
    jac = None if getattr(layer, "evidence_withheld", False) else partial(
        jacobians, layer, target, arr, h=h, xw=xw, tw=tw, y0=ctx.y0, evaluate_at=evaluate_at, state=ctx.state)
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
               tw: Any, own: OwnPrecision | None = None) -> GradientResult | None:
    """A passing result checked by projection, or None: then the element-wise check decides."""
    layer, eps = ctx.layer, ctx.precision.eps
    rtol = judged_at(ctx, own)[0]
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
                       tw: Any, own: dict[str, OwnPrecision] | None = None) -> dict[str, GradientResult] | None:
    """Passing results for all `targets` from one projection of their concatenation, or None.

    Random signs are independent across arrays as within one, so errors in two arrays cannot
    cancel any more than two errors in one array can.
    """
    prec, own = ctx.precision, own or {}
    # one projection: the loosest of the targets' own tolerances (a backward's own below float64 for one of them)
    rtol = max(judged_at(ctx, own.get(k))[0] for k in targets)
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
