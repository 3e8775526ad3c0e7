"""The checker: one layer on one concrete case, from forward to verdict. A pure function.

`check_case` runs the recipe in `_recipe` — forward, backward, repeatability, values, independence,
each a short step over one `CheckContext` — and returns a `CaseResult`. It never prints and never
raises for anything the layer does (a crash is a finding). Tolerances come from
`gradlab.core.tolerances`, overridable per call.
Non-goal: drawing cases (that is `gradlab.cases`) and calling a course's layer (that is
`gradlab.conventions`: the layer arrives in gradlab's native protocol).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gradlab.core.adapter_notes import notes_after_values, notes_now
from gradlab.core.crash_reading import gradient_shapes, read_crash
from gradlab.core.diagnose_paths import across_gradients
from gradlab.core.forward_laws import asks_a_law, broken_law
from gradlab.core.kept_state import kept_state
from gradlab.core.kind import Case, Kind
from gradlab.core.layer_state import LayerState
from gradlab.core.non_finite import forward_non_finite, max_abs
from gradlab.core.precision import Precision, lower, measured_precision, precision_of
from gradlab.core.protocol import Layer, LayerCrash, LayerSignatureError, grad_name
from gradlab.core.results import FAIL, WARN, CaseResult, Finding, GradientResult
from gradlab.core.tolerances import ATOL, RTOL
from gradlab.core.values import MODES, check_values

__all__ = ["MODES", "CheckContext", "LayerFactory", "Precision", "check_case", "precision_of"]

LayerFactory = Callable[[Case], Layer]
FLOAT32_EPS = float(np.finfo(np.float32).eps)


@dataclass
class CheckContext:
    """What the steps of one check share: the layer, its case, the settings and what was found."""

    layer: Layer
    kind: Kind
    case: Case
    rtol: float
    atol: float
    seed: int
    mode: str
    findings: list[Finding] = field(default_factory=list)
    waiting: list[tuple[str, str, str, str]] = field(default_factory=list)  # notes for after the values (adapter_notes)
    #: the arrays handed to the layer (copies: the case stays as built, to detect writes into them)
    x: np.ndarray = field(init=False)
    t: np.ndarray | None = field(init=False)
    #: the parameters as they were before any call, to restore after each step
    saved: dict[str, np.ndarray] = field(init=False)
    y0: np.ndarray = field(init=False)
    precision: Precision = field(init=False)
    #: whether `precision` was measured on the layer yet (`settle_precision`), not only read off y's dtype
    precision_measured: bool = field(default=False, init=False)
    #: the upstream gradient (1 for a loss) and the analytic gradients backward returned for it
    G: np.ndarray = field(init=False)
    analytic: dict[str, np.ndarray | None] = field(init=False)
    #: the whole layer as the checked backward found it: diagnosis asks its questions of that layer
    state: LayerState | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.x = self.case.x.copy()
        self.t = None if self.case.t is None else self.case.t.copy()
        self.saved = {k: v.copy() for k, v in self.layer.params.items()}

    def restore(self) -> None:
        """Put every parameter back as it was, whatever the layer or a perturbation did to it."""
        for k, v in self.saved.items():
            self.layer.params[k][...] = v

    def settle_precision(self) -> bool:
        """Measure the precision the layer computes in, once; True when that lowered `precision`.

        Deferred until a value depends on it: a check whose every array passes by projection at the
        output's precision needs no probe (its four forward calls were a third of a fast check), and
        a layer rounding to float32 inside cannot pass a float64 projection."""
        if self.precision_measured:
            return False
        before = self.precision
        _measure_precision(self)
        self.precision_measured = True
        return self.precision != before

    def fail(self, code: str, message: str, gradient: str | None = None, severity: str = FAIL) -> None:
        self.findings.append(Finding(code, severity, message, gradient))

    def gradients_of(self, dx: Any, grads: dict[str, Any]) -> dict[str, Any]:
        return {"x": dx, **grads} if self.kind.x_differentiable else dict(grads)


def check_case(make_layer: LayerFactory, kind: Kind, case: Case, *, name: str = "layer",
               convention: str = "native", rtol: float = RTOL, atol: float = ATOL, seed: int = 0,
               finite_only: bool = False, mode: str = "auto") -> CaseResult:
    """Check `make_layer(case)` on `case`: values against finite differences, then structure.

    With `finite_only` (extreme inputs such as logits of magnitude 1000) only finiteness of the
    output and gradients is checked: finite differences say little where a softmax saturates.
    `mode` says how gradient values are compared (see `gradlab.core.values.MODES`).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    findings: list[Finding] = []
    gradients: tuple[GradientResult, ...] = ()
    try:
        layer = make_layer(case)
        ctx = CheckContext(layer, kind, case, rtol=rtol, atol=atol, seed=seed, mode=mode, findings=findings)
        gradients = _recipe(ctx, finite_only=finite_only)
    except (LayerSignatureError, LayerCrash) as exc:
        # a gradient of the wrong shape stored in place crashes: its shapes may still name the bug, first; the
        # crash stays `crashed` as DESIGN.md has it
        read = read_crash(exc, int(case.spec.get("N", 0) or 0), gradient_shapes(kind, case)) \
            if isinstance(exc, LayerCrash) else None
        if read is not None:
            findings.append(Finding(read[0], FAIL, read[1]))
        findings.append(Finding("crashed", FAIL, str(exc)))
    return CaseResult(name, kind.name, convention, dict(case.spec), gradients, tuple(findings))


def _recipe(ctx: CheckContext, *, finite_only: bool) -> tuple[GradientResult, ...]:
    # 1. forward: output finite, inputs and parameters left alone
    if not _forward(ctx):
        return ()
    # 2. backward with a random upstream gradient: dout, x and parameters left alone
    _backward(ctx)
    if finite_only:
        _finite_gradients(ctx)
        return ()
    # 3. a second backward after the same forward gives the same result
    _repeatability(ctx)
    # 4. finite differences for x and every parameter, compared element-wise, at the precision the layer
    # really computes in (measured on it, `CheckContext.settle_precision`: a float32 cast inside sets the step)
    gradients = across_gradients(tuple(_kinds_reading(ctx, g) for g in check_values(ctx)),
                                 {k: grad_name(ctx.layer, k) for k in ctx.analytic}, ctx.layer.params, ctx.x)
    for code, severity, message, gradient in notes_after_values(ctx.waiting, gradients):
        ctx.fail(code, message, gradient, severity=severity)
    # 5. sample independence
    if not ctx.kind.mixes_samples and ctx.case.N >= 2 and ctx.kind.x_differentiable:
        _independence(ctx)
        ctx.restore()
    return gradients


def _kinds_reading(ctx: CheckContext, g: GradientResult) -> GradientResult:
    """A failing gradient read by its layer's adapter (a term it added to the layer's convention) or its kind, where
    they know a term the general diagnosis does not."""
    readers = [r for r in (getattr(ctx.layer, "explain_gradient", None), ctx.kind.explain) if r is not None]
    if g.passed or not readers or g.analytic is None or g.numeric is None or g.analytic.shape != g.numeric.shape:
        return g
    if g.bug_code == "couples-samples":  # measured on the layer (another sample joined): stronger than a pattern
        return g
    target = next((k for k in ctx.analytic if grad_name(ctx.layer, k) == g.name), None)
    if target is None:
        return g
    # a kind reads the gradients in gradlab's orientation, beside the case (a column layout's are transposed)
    back = getattr(ctx.layer, "gradlab_view", None)
    found = None
    for explain in readers:
        more = {"upstream": ctx.G} if getattr(explain, "reads_upstream", False) else {}
        analytic, numeric = (g.analytic, g.numeric) if explain is not ctx.kind.explain or not callable(back) else (
            np.asarray(back(target, g.analytic)), np.asarray(back(target, g.numeric)))
        found = found or explain(ctx.case, target, analytic, numeric, ctx.y0, **more)
    # a wrong input measured on the layer (a stored array in another's place made backward right) beats another code
    # read in the numbers (x_hat for x - mean is also a power of sigma off); a kind's wrong-input adds its own words
    if found is None or (g.bug_code == "wrong-input" and found[0] != "wrong-input"):
        return g
    said = f"{found[1]}; {g.diagnosis}" if g.bug_code == "wrong-input" else found[1]
    return replace(g, bug_code=found[0], diagnosis=said)


def _forward(ctx: CheckContext) -> bool:
    """Run forward once; False when there is nothing more to check (non-finite, a non-scalar loss)."""
    if not _forward_law(ctx):  # first: it runs forward on an input of its own, and backward follows the next forward
        _earlier_forward(ctx)
    raw = ctx.layer.forward(ctx.x, ctx.t)
    for code, note in getattr(ctx.layer, "notes", ()):  # what an adapter read in the layer's convention
        ctx.fail(code, note, severity=WARN)
    # the layer may compute in float32 inside: judge it at that precision, never looser than asked
    ctx.precision = precision_of(raw)
    ctx.rtol = max(ctx.rtol, ctx.precision.rtol)
    ctx.y0 = np.array(raw, dtype=np.float64, copy=True)
    if not np.all(np.isfinite(ctx.y0)):
        ctx.fail("non-finite", forward_non_finite(ctx.layer, ctx.x, ctx.t))
        return False
    _mutation(ctx, "forward", ctx.x, ctx.case.x, "x")
    _mutation(ctx, "forward", ctx.t, ctx.case.t, "t")
    _param_change(ctx, "forward")
    if ctx.kind.is_loss and ctx.y0.size != 1:
        ctx.fail("crashed", f"a loss layer's forward must return a scalar, got shape {ctx.y0.shape}")
        return False
    if not ctx.kind.is_loss and (ctx.y0.ndim == 0 or ctx.y0.shape[0] != ctx.case.N):
        got = "a single number" if ctx.y0.ndim == 0 else f"shape {ctx.y0.shape}"
        ctx.fail("crashed", f"forward returned {got}: a layer returns one output per sample, the batch axis "
                 f"first (N={ctx.case.N} here; only a loss returns one number)")
        return False
    if any(f.code == "mutates-input" for f in ctx.findings):
        # reported once; from here on every call gets fresh copies, so the finite differences (which move
        # one working copy of x in place) see the function the layer computes, not a drifting buffer
        ctx.layer = FreshInputs(ctx.layer)
        ctx.x, ctx.t = ctx.case.x.copy(), None if ctx.case.t is None else ctx.case.t.copy()
        ctx.y0 = np.array(ctx.layer.forward(ctx.x, ctx.t), dtype=np.float64, copy=True)
    return True


def _forward_law(ctx: CheckContext) -> bool:
    """The laws of the forward itself (`gradlab.core.forward_laws`), if the kind has one; a crash here is left to
    the forward step, which reports it on the case's own input. True when a law ran forward."""
    if not asks_a_law(ctx.kind):
        return False
    try:
        broken = broken_law(ctx.layer, ctx.kind, ctx.case)
    except Exception:  # noqa: BLE001
        return True
    if broken is not None:
        ctx.fail(*broken)
    return True


def _earlier_forward(ctx: CheckContext) -> None:
    """A forward on another input before the checked one. A layer is used for many batches: one that keeps what
    its first forward computed (a ReLU's mask made once, `if self.mask is None`) has a backward right for the
    first batch only, and a check whose first forward is the checked one would never see it. The other input is
    drawn independently of x (not -x: a stale mask of -x turned upside down would be x's mask, and a fix search
    would "verify" that wrong edit). Whatever this call raises is left to the checked forward, which reports it
    on the case's own input."""
    x = ctx.case.x
    if not np.issubdtype(x.dtype, np.floating):  # indices have no "other" input of a kind
        return
    other = np.random.default_rng([ctx.seed, 7]).standard_normal(x.shape) * (float(np.abs(x).max(initial=0.0)) or 1.0)
    try:
        with np.errstate(all="ignore"):
            ctx.layer.forward(other.astype(x.dtype), None if ctx.case.t is None else ctx.case.t.copy())
    except Exception:  # noqa: BLE001
        pass
    ctx.restore()


class FreshInputs:
    """`layer`, handed fresh copies of x and t at every forward call (for a layer that writes into them)."""

    def __init__(self, layer: Layer):
        self._layer = layer

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        return self._layer.forward(x.copy(), None if t is None else t.copy())

    def __getattr__(self, name: str) -> Any:
        if name in ("forward_perturbed", "forward_replaced"):  # they would move the layer's x in place
            raise AttributeError(name)
        return getattr(self._layer, name)


def _measure_precision(ctx: CheckContext) -> None:
    """Lower `ctx.precision` (read off the output's dtype) to what x's and the parameters' probes
    measure (`gradlab.core.precision.measured_precision`): one probe each, two forward calls per probe."""
    layer, rng = ctx.layer, np.random.default_rng([ctx.seed, 6])
    t = None if ctx.case.t is None else ctx.case.t.copy()
    found = ctx.precision
    if ctx.kind.x_differentiable and np.issubdtype(ctx.case.x.dtype, np.floating):
        xp = ctx.case.x.astype(np.float64, copy=True)
        found = lower(found, measured_precision(lambda: layer.forward(xp, t), [xp], ctx.y0, rng))
    params = [v for v in layer.params.values() if isinstance(v, np.ndarray)]
    if params and found.eps < FLOAT32_EPS:  # already float32 or coarser: nothing to learn
        xp = ctx.case.x.astype(np.float64, copy=True) if ctx.kind.x_differentiable else ctx.case.x.copy()
        found = lower(found, measured_precision(lambda: layer.forward(xp, t), params, ctx.y0, rng))
    ctx.restore()
    ctx.precision = found
    ctx.rtol = max(ctx.rtol, found.rtol)


def _backward(ctx: CheckContext) -> None:
    # never ones: they hide transposes and reductions. A stream of its own: the case's inputs come
    # from default_rng(seed), and a G equal to them makes batch norm's true dx vanish and hides bugs
    rng = np.random.default_rng([ctx.seed, 1])
    ctx.G = np.array(1.0) if ctx.kind.is_loss else rng.standard_normal(ctx.y0.shape)
    dout = ctx.G.copy()
    ctx.state = LayerState.of(ctx.layer, params=ctx.saved)
    dx, grads = ctx.layer.backward(dout)
    ctx.analytic = {k: None if v is None else np.array(v, copy=True) for k, v in ctx.gradients_of(dx, grads).items()}
    for code, severity, message, gradient in notes_now(ctx.layer, ctx.waiting):  # read in the user's shapes
        ctx.fail(code, message, gradient, severity=severity)
    if not np.array_equal(dout, ctx.G):
        ctx.fail("mutates-input", "backward wrote into the upstream gradient dout it was given (harmless here, "
                 "a trap when dout is shared by two branches)", severity=WARN)
    _mutation(ctx, "backward", ctx.x, ctx.case.x, "x")
    _mutation(ctx, "backward", ctx.t, ctx.case.t, "t")  # a loss's backward may write into its targets too
    _param_change(ctx, "backward")
    ctx.restore()


def _finite_gradients(ctx: CheckContext) -> None:
    for k, a in ctx.analytic.items():
        if a is not None and np.issubdtype(a.dtype, np.number) and not np.all(np.isfinite(a)):
            name = grad_name(ctx.layer, k)
            ctx.fail("non-finite", f"{name} has NaN or inf for finite inputs (max |x| = {max_abs(ctx.case.x)})", name)


def _repeatability(ctx: CheckContext) -> None:
    try:
        dx2, grads2 = ctx.layer.backward(ctx.G.copy())
    except LayerCrash:
        # a backward that frees what its forward kept (`self.cache = None` at its end, as autograd frees a graph)
        # cannot run twice on one forward, and need not: a training step runs forward again. Asked again that way,
        # a gradient backward adds into (+=) still shows, since nothing but the forward is repeated
        ctx.layer.forward(ctx.x, ctx.t)
        dx2, grads2 = ctx.layer.backward(ctx.G.copy())
    again = ctx.gradients_of(dx2, grads2)
    for k, first in ctx.analytic.items():
        second = again.get(k)
        if first is not None and second is not None and first.shape == np.shape(second) and \
                not _same_values(first, second, rtol=1e-10, atol=1e-300, equal_nan=True):
            name = grad_name(ctx.layer, k)
            ctx.fail("mismatch", kept_state(ctx.layer, name, first, np.asarray(second, dtype=np.float64)), name)
    ctx.restore()


def _independence(ctx: CheckContext) -> None:
    """Change sample 0 only; nothing about samples 1..N-1 may change."""
    rng = np.random.default_rng(12345)
    x2 = ctx.case.x.astype(np.float64, copy=True)
    x2[0] = rng.standard_normal(x2[0].shape) * (np.abs(x2).max() + 1.0)
    t = None if ctx.case.t is None else ctx.case.t.copy()
    y2 = np.asarray(ctx.layer.forward(x2, t), dtype=np.float64)
    dx = ctx.analytic.get("x")
    if ctx.kind.is_loss:
        if dx is None:
            return
        dx2, _ = ctx.layer.backward(np.array(1.0))
        if dx2 is None or np.shape(dx2) != dx.shape:
            return
        before, after, what = dx[1:], np.asarray(dx2)[1:], "the gradient"
    else:
        if y2.shape != ctx.y0.shape:
            return
        before, after, what = ctx.y0[1:], y2[1:], "the output"
    if not _same_values(before, after, rtol=1e-9, atol=1e-12 * (1.0 + float(np.abs(before).max(initial=0.0)))):
        ctx.fail("couples-samples", f"changing sample 0 changed {what} of other samples: this layer should treat "
                 "every sample on its own")


def _same_values(a: Any, b: Any, *, rtol: float, atol: float, equal_nan: bool = False) -> bool:
    """np.allclose(a, b, rtol, atol, equal_nan), answered at once when the arrays are identical, as a
    deterministic layer's are (allclose's temporaries cost more than the rest of a small check)."""
    return (_identical(a, b) if equal_nan else bool(np.array_equal(a, b))) or \
        bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _identical(a: Any, b: Any) -> bool:
    """np.array_equal(a, b, equal_nan=True), without its NaN masks when no NaN is involved (they cost
    seven times the comparison, and these checks run a dozen times per case)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    return bool(np.equal(a, b).all()) or bool(np.array_equal(a, b, equal_nan=True))


def _mutation(ctx: CheckContext, call: str, now: Any, before: Any, what: str) -> None:
    if now is not None and before is not None and not _identical(now, before):
        if not any(f.code == "mutates-input" and f.gradient == what for f in ctx.findings):
            ctx.fail("mutates-input", f"{call} wrote into its input {what}", what)


def _param_change(ctx: CheckContext, call: str) -> None:
    rebound: set[str] = getattr(ctx.layer, "rebound", set())
    for k, v in ctx.layer.params.items():
        if k in rebound or not _identical(v, ctx.saved[k]):
            if any(f.code == "stale-parameters" and f.gradient == k for f in ctx.findings):
                continue
            said = _spelled(ctx.layer, k)
            if call == "backward" and getattr(ctx.layer, "updates_itself", False):  # its own update: its convention
                ctx.fail("stale-parameters", f"{call}'s dx changes with the learning rate of the update it makes to "
                         f"{said}: dx was computed from parameters already updated, where it must use those forward "
                         "used (keep them before the update)", k)
                continue
            ctx.fail("stale-parameters", f"{call} changed parameter {said}: updates belong to an optimizer, and "
                     "gradients must use the parameters forward used", k)


def _spelled(layer: Layer, k: str) -> str:
    """Parameter `k` as the user's code names it, read off its gradient's spelling: dweights -> weights, dw -> w,
    grads[0] -> params[0] (the textbook's lists); gradlab's name where the spelling says nothing."""
    said = grad_name(layer, k)
    if said.startswith("grads"):
        return "params" + said[len("grads"):]
    return said[1:] if said.startswith("d") and said[1:].isidentifier() else k
