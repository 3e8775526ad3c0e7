"""The checker: one layer on one concrete case, from forward to verdict. A pure function.

`check_case` runs the recipe below and returns a `CaseResult`; it never prints and never raises
for anything the layer does (a crash is a finding). Tolerances are module constants, overridable
per call.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

import numpy as np

from gradlab import numeric
from gradlab.diagnose import diagnose_shape, diagnose_values
from gradlab.kinds import Case, Kind
from gradlab.protocol import Layer, LayerCrash, LayerSignatureError
from gradlab.results import FAIL, WARN, CaseResult, Finding, GradientResult

RTOL = 1e-4
#: absolute tolerance, as a fraction of the largest true gradient element
ATOL = 1e-7
#: the absolute tolerance never goes below this many times the finite differences' rounding noise
NOISE_MARGIN = 100.0
#: at most this many disagreeing elements get a five-point look for kinks
MAX_PROBES = 2000
#: diagnosis compares Jacobians entry by entry up to this many entries (outputs x elements)
MAX_JACOBIAN = 20000

LayerFactory = Callable[[Case], Layer]


def check_case(make_layer: LayerFactory, kind: Kind, case: Case, *, name: str = "layer",
               convention: str = "native", rtol: float = RTOL, atol: float = ATOL, seed: int = 0,
               finite_only: bool = False) -> CaseResult:
    """Check `make_layer(case)` on `case`: values against finite differences, then structure.

    With `finite_only` (extreme inputs such as logits of magnitude 1000) only finiteness of the
    output and gradients is checked: finite differences say little where a softmax saturates.
    """
    findings: list[Finding] = []

    def result(gradients: tuple[GradientResult, ...] = ()) -> CaseResult:
        return CaseResult(name, kind.name, convention, dict(case.spec), gradients, tuple(findings))

    try:
        layer = make_layer(case)
    except LayerSignatureError as exc:
        findings.append(Finding("crashed", FAIL, str(exc)))
        return result()
    except LayerCrash as exc:
        findings.append(Finding("crashed", FAIL, str(exc)))
        return result()
    try:
        return _run(layer, kind, case, findings, result, rtol, atol, seed, finite_only)
    except LayerCrash as exc:
        findings.append(Finding("crashed", FAIL, str(exc)))
        return result()


def _run(layer: Layer, kind: Kind, case: Case, findings: list[Finding], result: Callable[..., CaseResult],
         rtol: float, atol: float, seed: int, finite_only: bool) -> CaseResult:
    x, t = case.x.copy(), None if case.t is None else case.t.copy()
    params = layer.params
    saved = {k: v.copy() for k, v in params.items()}

    def restore() -> None:
        for k, v in saved.items():
            params[k][...] = v

    # 1. forward: output must be finite; inputs and parameters left alone
    y0 = np.array(layer.forward(x, t), dtype=np.float64, copy=True)
    if not np.all(np.isfinite(y0)):
        findings.append(Finding("non-finite", FAIL, f"forward returned NaN or inf for finite inputs "
                                f"(max |x| = {np.abs(case.x).max():.3g})"))
        return result()
    _mutation(findings, "forward", x, case.x, "x")
    _mutation(findings, "forward", t, case.t, "t")
    _param_change(findings, "forward", params, saved)
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
    _param_change(findings, "backward", params, saved)
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
    for target, a in analytic.items():
        arr = xw if target == "x" else params[target]
        numeric_grad = _numeric(layer, kind, target, arr, xw, tw, y0, G)
        restore()
        evaluate_at = _element_evaluator(layer, arr, xw, tw)
        noise = _noise_floor(y0, G, arr)
        # Jacobians cost a forward per element and a backward per output: computed only on failure
        jacobians = partial(_jacobians, layer, target, arr, xw, tw, y0, evaluate_at)
        gradients.append(_compare(_gname(layer, target), a, numeric_grad, arr, G, evaluate_at, case.N, rtol, atol, noise,
                                  jacobians))
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


def _param_change(findings: list[Finding], call: str, params: dict[str, np.ndarray], saved: dict[str, np.ndarray]) -> None:
    for k, v in params.items():
        if not np.array_equal(v, saved[k], equal_nan=True):
            findings.append(Finding("stale-parameters", FAIL, f"{call} changed parameter {k}: updates belong to an "
                                    "optimizer, and gradients must use the parameters forward used", k))


def _numeric(layer: Layer, kind: Kind, target: str, arr: np.ndarray, xw: np.ndarray, tw: Any,
             y0: np.ndarray, G: np.ndarray) -> np.ndarray:
    if target == "x" and not (kind.is_loss or kind.mixes_samples or kind.stochastic):
        try:
            return numeric.stacked_input_gradient(lambda xb: layer.forward(xb, None), xw, y0, G)
        except numeric.StackingRefused:
            pass
    return numeric.looped_gradient(lambda: layer.forward(xw, tw), arr, G)


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


def _noise_floor(y0: np.ndarray, G: np.ndarray, arr: np.ndarray) -> float:
    """What rounding alone can make a finite difference wrong by: eps * sum|G*y| / h, with margin.

    Without it a gradient that is truly ~0 everywhere (batch norm on two samples) would be judged
    against pure rounding noise.
    """
    h = float(np.median(numeric.steps(arr))) if arr.size else numeric.STEP
    return NOISE_MARGIN * float(np.finfo(np.float64).eps) * float(np.sum(np.abs(G * y0))) / h


def _compare(name: str, a: np.ndarray | None, n: np.ndarray, arr: np.ndarray, G: np.ndarray,
             evaluate_at: Callable[[int, float], np.ndarray], N: int, rtol: float, atol: float,
             noise: float = 0.0,
             jacobians: Callable[[], tuple[np.ndarray, np.ndarray] | None] | None = None) -> GradientResult:
    scale = float(np.abs(n).max(initial=0.0))
    atol_abs = max(atol * scale if scale > 0 else atol, noise)
    base = dict(name=name, shape=n.shape, rtol=rtol, atol=atol_abs, numeric=n)
    if a is None:
        if scale == 0.0:
            return GradientResult(analytic_shape=None, passed=True, max_rel_error=0.0, **base)
        return GradientResult(analytic_shape=None, passed=False, max_rel_error=1.0, bug_code="zero-gradient",
                              diagnosis=f"{name} was never computed (None) but the true gradient is not zero", **base)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64) if np.issubdtype(a.dtype, np.number) else a
    if a.shape != n.shape:
        d = diagnose_shape(name, np.asarray(a, dtype=np.float64), n, N, upstream=G)
        return GradientResult(analytic_shape=a.shape, passed=False, max_rel_error=1.0, bug_code=d.code,
                              diagnosis=d.sentence, analytic=a, **base)
    a = a.astype(np.float64)
    err = np.abs(a - n)
    allowed = atol_abs + rtol * np.abs(n)
    ok = err <= allowed
    ok &= np.isfinite(a)
    skipped = np.zeros(n.shape, dtype=bool)
    bad = np.flatnonzero(~ok)
    if bad.size:
        order = bad[np.argsort(-(err.reshape(-1)[bad] / allowed.reshape(-1)[bad]), kind="stable")]
        h_all = numeric.steps(arr).reshape(-1)
        genuine = False
        for k in order[:MAX_PROBES]:
            if not np.isfinite(a.reshape(-1)[k]):
                genuine = True
                break
            p = numeric.probe(lambda d, k=k: evaluate_at(int(k), d), G, float(h_all[k]), float(err.reshape(-1)[k]))
            if abs(a.reshape(-1)[k] - p.refined) <= allowed.reshape(-1)[k]:
                ok.reshape(-1)[k] = True
            elif p.kink:
                skipped.reshape(-1)[k] = True
            else:
                genuine = True
                break
        if not genuine and bad.size > MAX_PROBES:
            genuine = True
    considered = ~skipped
    rel = np.where(considered, err / np.maximum(np.abs(a) + np.abs(n), max(atol_abs, 1e-300)), 0.0)
    rel = np.where(np.isfinite(rel), rel, np.inf)
    worst = np.unravel_index(int(np.argmax(rel)), n.shape) if n.size else None
    passed = bool(np.all(ok | skipped))
    code = sentence = None
    if not passed:
        d = diagnose_values(name, np.where(skipped, n, a), n, ok | skipped, N, upstream=G,
                            jacobians=jacobians() if jacobians is not None else None)
        code, sentence = d.code, d.sentence
    return GradientResult(
        analytic_shape=a.shape, passed=passed, max_rel_error=float(rel.max(initial=0.0)),
        worst_index=tuple(int(i) for i in worst) if worst is not None else None,
        analytic_value=float(a[worst]) if worst is not None else None,
        numeric_value=float(n[worst]) if worst is not None else None,
        checked=int(considered.sum()), skipped_kinks=int(skipped.sum()), bug_code=code, diagnosis=sentence or "",
        analytic=a, **base)


def _jacobians(layer: Layer, target: str, arr: np.ndarray, xw: np.ndarray, tw: Any, y0: np.ndarray,
               evaluate_at: Callable[[int, float], np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """(analytic, numeric) Jacobians of the output w.r.t. `arr`, each (outputs, elements); None if too big.

    Diagnosis needs them to see a dropped term for what it is: every entry either right or missing.
    The analytic one is read off one backward per output element, with a one-hot upstream gradient.
    """
    m, size = y0.size, arr.size
    if not (0 < size and m * size <= MAX_JACOBIAN):
        return None
    h = numeric.steps(arr).reshape(-1)
    J = np.empty((m, size))
    for k in range(size):
        J[:, k] = (evaluate_at(k, float(h[k])) - evaluate_at(k, -float(h[k]))).reshape(-1) / (2 * h[k])
    layer.forward(xw, tw)
    A = np.empty((m, size))
    for i in range(m):
        e = np.zeros(y0.shape)
        e.reshape(-1)[i] = 1.0
        dx, grads = layer.backward(e)
        g = dx if target == "x" else grads.get(target)
        if g is None or np.shape(g) != arr.shape:
            return None
        A[i] = np.asarray(g, dtype=np.float64).reshape(-1)
    return A, J


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
