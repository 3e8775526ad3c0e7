"""The checker: one layer on one concrete case, from forward to verdict. A pure function.

`check_case` runs the recipe below and returns a `CaseResult`; it never prints and never raises
for anything the layer does (a crash is a finding). Tolerances are module constants, overridable
per call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

import numpy as np

from gradlab.core import numeric, projection
from gradlab.core.compare import compare, jacobians, noise_floor
from gradlab.kinds import Case, Kind
from gradlab.core.protocol import Layer, LayerCrash, LayerSignatureError
from gradlab.core.results import FAIL, WARN, CaseResult, Finding, GradientResult

RTOL = 1e-4
#: absolute tolerance, as a fraction of the largest true gradient element
ATOL = 1e-7
#: "full": every element by finite differences; "fast": a random projection first (its cost does not
#: grow with the array's size), element-wise only when it fails, so a failure's verdict and diagnosis
#: are the full check's; "auto": fast for arrays of more than projection.AUTO_MIN_SIZE elements
MODES = ("auto", "full", "fast")


@dataclass(frozen=True)
class Precision:
    """Step and tolerance for the precision a layer really computes in (it may cast to float32)."""

    eps: float
    step: float  # relative step: eps ** (1/3) balances truncation against rounding
    rtol: float  # the smallest rtol that precision can honour


PRECISIONS = {
    np.dtype(np.float64): Precision(float(np.finfo(np.float64).eps), numeric.STEP, RTOL),
    np.dtype(np.float32): Precision(float(np.finfo(np.float32).eps), float(np.finfo(np.float32).eps) ** (1 / 3), 2e-2),
    np.dtype(np.float16): Precision(float(np.finfo(np.float16).eps), float(np.finfo(np.float16).eps) ** (1 / 3), 2e-1),
}


def precision_of(y: np.ndarray) -> Precision:
    """float64 unless the layer's output says it computed in a lower precision."""
    return PRECISIONS.get(np.asarray(y).dtype, PRECISIONS[np.dtype(np.float64)])

LayerFactory = Callable[[Case], Layer]


def check_case(make_layer: LayerFactory, kind: Kind, case: Case, *, name: str = "layer",
               convention: str = "native", rtol: float = RTOL, atol: float = ATOL, seed: int = 0,
               finite_only: bool = False, mode: str = "auto") -> CaseResult:
    """Check `make_layer(case)` on `case`: values against finite differences, then structure.

    With `finite_only` (extreme inputs such as logits of magnitude 1000) only finiteness of the
    output and gradients is checked: finite differences say little where a softmax saturates.
    `mode` says how gradient values are compared (see MODES).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    findings: list[Finding] = []

    def result(gradients: tuple[GradientResult, ...] = ()) -> CaseResult:
        return CaseResult(name, kind.name, convention, dict(case.spec), gradients, tuple(findings))

    try:
        layer = make_layer(case)
    except (LayerSignatureError, LayerCrash) as exc:
        findings.append(Finding("crashed", FAIL, str(exc)))
        return result()
    try:
        return _run(layer, kind, case, findings, result, rtol, atol, seed, finite_only, mode)
    except LayerCrash as exc:
        findings.append(Finding("crashed", FAIL, str(exc)))
        return result()


def _run(layer: Layer, kind: Kind, case: Case, findings: list[Finding], result: Callable[..., CaseResult],
         rtol: float, atol: float, seed: int, finite_only: bool, mode: str = "full") -> CaseResult:
    x, t = case.x.copy(), None if case.t is None else case.t.copy()
    params = layer.params
    saved = {k: v.copy() for k, v in params.items()}

    def restore() -> None:
        for k, v in saved.items():
            params[k][...] = v

    # 1. forward: output must be finite; inputs and parameters left alone
    raw = layer.forward(x, t)
    prec = precision_of(raw)
    rtol = max(rtol, prec.rtol)
    y0 = np.array(raw, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(y0)):
        findings.append(Finding("non-finite", FAIL, f"forward returned NaN or inf for finite inputs "
                                f"(max |x| = {np.abs(case.x).max():.3g})"))
        return result()
    _mutation(findings, "forward", x, case.x, "x")
    _mutation(findings, "forward", t, case.t, "t")
    _param_change(findings, "forward", layer, saved)
    if kind.is_loss and y0.size != 1:
        findings.append(Finding("crashed", FAIL, f"a loss layer's forward must return a scalar, got shape {y0.shape}"))
        return result()

    # 2. backward with a random upstream gradient (never ones: that hides transposes and reductions)
    # a stream of its own: the case's inputs come from default_rng(seed), and a G equal to them makes
    # batch norm's true dx vanish and hides bugs
    rng = np.random.default_rng([seed, 1])
    G = np.array(1.0) if kind.is_loss else rng.standard_normal(y0.shape)
    dout = G.copy()
    dx, grads = layer.backward(dout)
    analytic = {"x": dx, **grads} if kind.x_differentiable else dict(grads)
    analytic = {k: None if v is None else np.array(v, copy=True) for k, v in analytic.items()}
    if not np.array_equal(dout, G):
        findings.append(Finding("mutates-input", WARN, "backward wrote into the upstream gradient dout it was "
                                "given (harmless here, a trap when dout is shared by two branches)"))
    _mutation(findings, "backward", x, case.x, "x")
    _param_change(findings, "backward", layer, saved)
    restore()
    if finite_only:
        for k, a in analytic.items():
            if a is not None and np.issubdtype(a.dtype, np.number) and not np.all(np.isfinite(a)):
                findings.append(Finding("non-finite", FAIL, f"{_gname(layer, k)} has NaN or inf for finite inputs "
                                        f"(max |x| = {np.abs(case.x).max():.3g})", _gname(layer, k)))
        return result()

    # 3. a second backward after the same forward must give the same result
    dx2, grads2 = layer.backward(G.copy())
    again = {"x": dx2, **grads2} if kind.x_differentiable else dict(grads2)
    for k, first in analytic.items():
        second = again.get(k)
        if first is not None and second is not None and first.shape == np.shape(second) and \
                not np.allclose(first, second, rtol=1e-10, atol=1e-300, equal_nan=True):
            findings.append(Finding("mismatch", FAIL, f"a second backward after the same forward changed "
                                    f"{_gname(layer, k)}: backward keeps state between calls", _gname(layer, k)))
    restore()

    # 4. finite differences for x and every parameter, compared element-wise
    gradients = []
    xw = case.x.astype(np.float64, copy=True) if kind.x_differentiable else case.x.copy()
    tw = None if case.t is None else case.t.copy()
    # fast mode: one projection over every array it applies to (a dozen forward calls in all);
    # only if that disagrees does each array get its own projection, then the element-wise check.
    # A layer that evaluates many replaced arrays per call (`forward_replaced`) is cheaper per array.
    jointly: dict[str, Any] = {}
    chosen = [k for k, a in analytic.items() if _projects(mode, kind, k, xw if k == "x" else params[k], a)]
    if len(chosen) > 1 and not callable(getattr(layer, "forward_replaced", None)):
        jointly = _projected_jointly(layer, chosen, {k: xw if k == "x" else params[k] for k in chosen}, analytic,
                                     prec, xw, tw, y0, G, rtol, atol, seed) or {}
        restore()
    for target, a in analytic.items():
        arr = xw if target == "x" else params[target]
        h = numeric.steps(arr, prec.step)
        if target in jointly:
            gradients.append(jointly[target])
            continue
        if _projects(mode, kind, target, arr, a):
            projected = _projected(layer, target, arr, a, h, xw, tw, y0, G, rtol, atol, prec.eps, seed)
            restore()
            if projected is not None:
                gradients.append(projected)
                continue
        numeric_grad = _numeric(layer, kind, target, arr, h, xw, tw, y0, G)
        restore()
        evaluate_at = _element_evaluator(layer, arr, xw, tw)
        noise = noise_floor(y0, G, h, prec.eps)
        # Jacobians cost a forward per element and a backward per output: computed only on failure
        jac = partial(jacobians, layer, target, arr, h, xw, tw, y0, evaluate_at)
        gradients.append(compare(_gname(layer, target), a, numeric_grad, h, G, evaluate_at, case.N, rtol, atol,
                                 noise, jac))
        restore()

    # 5. sample independence
    if not kind.mixes_samples and case.N >= 2 and kind.x_differentiable:
        _independence(layer, kind, case, y0, analytic.get("x"), findings)
        restore()
    return result(tuple(gradients))


def _gname(layer: Layer, target: str) -> str:
    if target == "x":
        return "dx"
    return getattr(layer, "grad_names", {}).get(target, "d" + target)


def _mutation(findings: list[Finding], call: str, now: Any, before: Any, what: str) -> None:
    if now is not None and before is not None and not np.array_equal(now, before, equal_nan=True):
        if not any(f.code == "mutates-input" and f.gradient == what for f in findings):
            findings.append(Finding("mutates-input", FAIL, f"{call} wrote into its input {what}", what))


def _param_change(findings: list[Finding], call: str, layer: Layer, saved: dict[str, np.ndarray]) -> None:
    rebound = getattr(layer, "rebound", set())
    for k, v in layer.params.items():
        if k in rebound or not np.array_equal(v, saved[k], equal_nan=True):
            if any(f.code == "stale-parameters" and f.gradient == k for f in findings):
                continue
            findings.append(Finding("stale-parameters", FAIL, f"{call} changed parameter {k}: updates belong to an "
                                    "optimizer, and gradients must use the parameters forward used", k))


def _numeric(layer: Layer, kind: Kind, target: str, arr: np.ndarray, h: np.ndarray, xw: np.ndarray, tw: Any,
             y0: np.ndarray, G: np.ndarray) -> np.ndarray:
    if target == "x" and not (kind.is_loss or kind.mixes_samples or kind.stochastic):
        try:
            return numeric.stacked_input_gradient(lambda xb: layer.forward(xb, None), xw, y0, G, h)
        except numeric.StackingRefused:
            pass
    remote = getattr(layer, "forward_perturbed", None)
    if callable(remote):  # a layer in another process evaluates a whole chunk per round trip
        def many(idx: np.ndarray, values: np.ndarray) -> np.ndarray:
            return remote(target, idx, values, x=xw, t=tw)
    else:
        many = numeric.local_evaluator(lambda: layer.forward(xw, tw), arr)
    return numeric.batched_gradient(many, arr, G, h, out_size=y0.size)


def _projects(mode: str, kind: Kind, target: str, arr: np.ndarray, a: Any) -> bool:
    """Projection pays off where the element loop would run (not for x of per-sample layers, which
    is stacked and cheap), and only for an analytic gradient it can judge (right shape, finite)."""
    if mode == "full" or (mode == "auto" and arr.size <= projection.AUTO_MIN_SIZE):
        return False
    stacked = target == "x" and not (kind.is_loss or kind.mixes_samples or kind.stochastic)
    return not stacked and projection.applicable(a, arr)


def _projected(layer: Layer, target: str, arr: np.ndarray, a: np.ndarray, h: np.ndarray, xw: np.ndarray, tw: Any,
               y0: np.ndarray, G: np.ndarray, rtol: float, atol: float, eps: float, seed: int) -> GradientResult | None:
    """A passing result checked by projection, or None: then the element-wise check decides."""
    replaced = getattr(layer, "forward_replaced", None)
    many = (lambda arrays: replaced(target, arrays, x=xw, t=tw)) if callable(replaced) else None
    proj = projection.projected_check(lambda: layer.forward(xw, tw), arr, a, G, rng=np.random.default_rng([seed, 2]),
                                      rtol=rtol, atol=atol, noise=noise_floor(y0, G, h, eps), y0=y0, h=h, eps=eps,
                                      evaluate_many=many)
    if not proj.passed:
        return None
    return GradientResult(name=_gname(layer, target), shape=arr.shape, analytic_shape=a.shape, passed=True,
                          max_rel_error=proj.max_rel_error, checked=int(arr.size), rtol=rtol,
                          atol=atol * float(np.abs(a).max(initial=0.0)), analytic=np.asarray(a, dtype=np.float64),
                          method=f"projection ({proj.directions} random directions)")


def _projected_jointly(layer: Layer, targets: list[str], arrays: dict[str, np.ndarray], analytic: dict[str, Any],
                       prec: Precision, xw: np.ndarray, tw: Any, y0: np.ndarray, G: np.ndarray, rtol: float,
                       atol: float, seed: int) -> dict[str, GradientResult] | None:
    """Passing results for all `targets` from one projection of their concatenation, or None.

    Random signs are independent across arrays as within one, so errors in two arrays cannot
    cancel any more than two errors in one array can.
    """
    joint = np.concatenate([arrays[k].reshape(-1) for k in targets])
    a = np.concatenate([np.asarray(analytic[k], dtype=np.float64).reshape(-1) for k in targets])
    h = np.concatenate([numeric.steps(arrays[k], prec.step).reshape(-1) for k in targets])
    bounds = np.cumsum([0] + [arrays[k].size for k in targets])

    def evaluate() -> np.ndarray:
        for k, lo, hi in zip(targets, bounds[:-1], bounds[1:]):
            arrays[k].reshape(-1)[...] = joint[lo:hi]
        return layer.forward(xw, tw)

    try:
        proj = projection.projected_check(evaluate, joint, a, G, rng=np.random.default_rng([seed, 3]), rtol=rtol,
                                          atol=atol, noise=noise_floor(y0, G, h, prec.eps), y0=y0, h=h, eps=prec.eps)
    finally:
        for k, lo, hi in zip(targets, bounds[:-1], bounds[1:]):
            arrays[k].reshape(-1)[...] = joint[lo:hi]  # restored by projected_check: copy back exactly
    if not proj.passed:
        return None
    method = f"projection ({proj.directions} random directions, jointly over {', '.join(targets)})"
    return {k: GradientResult(name=_gname(layer, k), shape=arrays[k].shape, analytic_shape=arrays[k].shape,
                              passed=True, max_rel_error=proj.max_rel_error, checked=int(arrays[k].size), rtol=rtol,
                              atol=atol * float(np.abs(analytic[k]).max(initial=0.0)),
                              analytic=np.asarray(analytic[k], dtype=np.float64), method=method)
            for k in targets}


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


def _independence(layer: Layer, kind: Kind, case: Case, y0: np.ndarray, dx: np.ndarray | None,
                  findings: list[Finding]) -> None:
    """Change sample 0 only; nothing about samples 1..N-1 may change."""
    rng = np.random.default_rng(12345)
    x2 = case.x.astype(np.float64, copy=True)
    x2[0] = rng.standard_normal(x2[0].shape) * (np.abs(x2).max() + 1.0)
    t = None if case.t is None else case.t.copy()
    y2 = np.asarray(layer.forward(x2, t), dtype=np.float64)
    if kind.is_loss:
        if dx is None:
            return
        dx2, _ = layer.backward(np.array(1.0))
        if dx2 is None or np.shape(dx2) != dx.shape:
            return
        before, after, what = dx[1:], np.asarray(dx2)[1:], "the gradient"
    else:
        if y2.shape != y0.shape:
            return
        before, after, what = y0[1:], y2[1:], "the output"
    if not np.allclose(before, after, rtol=1e-9, atol=1e-12 * (1.0 + float(np.abs(before).max(initial=0.0)))):
        findings.append(Finding("couples-samples", FAIL, f"changing sample 0 changed {what} of other samples: "
                                "this layer should treat every sample on its own"))
