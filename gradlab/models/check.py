"""The model checker: every parameter's gradient against finite differences of the model's own loss.

`check_model(ModelClass)` builds the class small (`gradlab.models.build`) on a few cases drawn from
the seed, calls it in its convention (`gradlab.models.adapters`; the second volume's models made float64 and fed
their own data by `gradlab.models.second_volume`), and for each case:
1. the loss, once: a finite scalar, parameters and data left alone (`stale-parameters`, `mutates-input`);
2. the gradients, once: parameters left alone;
3. each parameter in backprop order, element by element against central differences of the loss
   (`gradlab.functions.gradient.judge`: the core's tolerances, kink probes and diagnosis), then said in
   the model's terms where it can be (`gradlab.models.hints`).
The first failing case is the report; otherwise the worst error of each parameter over all cases. A failing
case is then said more precisely where it can be: a crash on mismatched shapes is checked again where every
layer size is equal (a transposed gradient fits there, so each wrong one is blamed), and gradients wrong by no
simple pattern are named by the layer the model calls that fails alone, or by a tested hypothesis about the
array an activation's derivative was given (`gradlab.models.inner`).
`origin` is the first wrong parameter in backprop order. Nothing the model does raises out of here: a
crash is a finding, a model that cannot be built is the report's `error`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gradlab.core.crash_reading import is_shape_crash
from gradlab.core.precision import FLOAT32, measured_precision
from gradlab.core.projection import AUTO_MIN_SIZE
from gradlab.core.results import FAIL, Finding, GradientResult
from gradlab.core.tolerances import ATOL, RTOL
from gradlab.functions.gradient import judge, scalar_of
from gradlab.models.adapters import (
    ModelCall,
    ModelError,
    NoDataRuns,
    NotImplementedYet,
    adapt,
    convention_of,
    seeded,
)
from gradlab.models.build import (
    REG,
    BuildError,
    NotRunnable,
    Sizes,
    build,
    default_sizes,
    described,
    draw_sizes,
    not_runnable_here,
    spelled,
    switches_dropout_on,
    variants,
)
from gradlab.models.hints import in_model_terms, misshaped, sigmoid_primes
from gradlab.models.inner import derivative_hypotheses, in_layer_terms, inner_layer_failures, standing_in
from gradlab.models.report import ModelReport

__all__ = ["DEFAULT_CASES", "check_model", "check_variants", "variant_name"]

#: cases per model: each a fresh build with other sizes (odd ones with two hidden layers where a list is taken)
DEFAULT_CASES = 3
#: a parameter larger than this whose gradient has the wrong shape is failed on its shape alone
MAX_MISSHAPED = 4096


@dataclass
class _Case:
    gradients: dict[str, GradientResult] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: the loss itself crashed, before any gradient: maybe the sizes, not the backward
    crashed_early: bool = False
    #: what this machine lacks to run the model (a module, a Cython extension never built)
    not_run: str | None = None
    #: run at the model's own default sizes (it cannot be built or run small): every case would be these sizes
    own_sizes: bool = False
    #: a second-volume model that still rounds to float32 somewhere (a float32 array gradlab could not widen)
    rounded: bool = False

    @property
    def failed(self) -> bool:
        return any(f.severity == FAIL for f in self.findings) or any(not g.passed for g in self.gradients.values())


class _Stop(Exception):
    def __init__(self, finding: Finding, not_run: str | None = None):
        super().__init__(finding.message)
        #: why the model cannot be run on this machine (then it is skipped, not failed)
        self.finding, self.not_run = finding, not_run


def check_model(model: type, *, examples: int = DEFAULT_CASES, seed: int = 0, rtol: float = RTOL, atol: float = ATOL,
                name: str | None = None, source: str = "", options: dict[str, Any] | None = None) -> ModelReport:
    """The verdict on every parameter's gradient of `model` (a class in one of the three conventions),
    built with `options` besides the sizes (a variant, e.g. batch normalisation switched on)."""
    if not isinstance(model, type):
        raise TypeError(f"pass the model class, not {type(model).__name__} {model!r:.40}: gradlab builds it small, "
                        "e.g. check_model(TwoLayerNet)")
    convention = convention_of(model)
    if convention is None:
        raise TypeError(f"{model.__name__} is not a model gradlab knows: it needs loss(X, y) (CS231n), loss and "
                        "gradient (the textbook), feedforward and backprop (Nielsen), or forward(x, t), "
                        "backward(dout=1) and params/grads lists gathered from its layers (the second volume)")
    label = name or variant_name(model, options)
    base: dict[str, Any] = dict(convention=convention, seed=seed, source=source or _source_of(model))
    worst: dict[str, GradientResult] = {}
    order: list[str] = []  # the longest backprop order seen (cases differ in depth)
    case, built = _Case(), ""
    for k in range(examples):
        ran = _run_case(model, convention, options, seed=seed, k=k, rtol=rtol, atol=atol)
        if isinstance(ran, str):
            return ModelReport(label, error=ran, examples=k + 1, **base)
        case, built = ran
        if case.not_run:
            return ModelReport(label, examples=k + 1, case=built, not_run=case.not_run, **base)
        if case.failed:
            case, built = _where_it_fits(case, built, model, convention, options, seed=seed, k=k, rtol=rtol, atol=atol)
            case = _in_dropout_terms(case, model, options, seed=seed, examples=examples, rtol=rtol, atol=atol)
            case = _in_inner_terms(case, model)
            case = _in_derivative_terms(case, model, convention, options, seed=seed, k=k, rtol=rtol, atol=atol)
            return _report(label, case, built, examples=k + 1, **base)
        for p, g in case.gradients.items():
            if p not in worst or g.max_rel_error > worst[p].max_rel_error:
                worst[p] = g
        order = list(case.gradients) if len(case.gradients) > len(order) else order
        if case.own_sizes:  # the next cases would be built at the same, large sizes: one is the check
            examples = k + 1
            break
    ordered = {p: worst[p] for p in order}
    return _report(label, _Case(ordered or case.gradients, case.findings), built, examples=examples, **base)


def _run_case(model: type, convention: str, options: dict[str, Any] | None, *, seed: int, k: int, rtol: float,
              atol: float, at: Sizes | None = None) -> tuple[_Case, str] | str:
    """Case `k` at small sizes (or at the sizes `at`); if the model cannot be built or run at them (a size
    written into its code, 28x28 images), at its own default sizes (large arrays are then checked by
    projection). The case and how the model was built, or a one-line error."""
    first: tuple[_Case, str] | str | None = None
    no_data: str | None = None
    drawn = draw_sizes(seed, k)
    candidates = [(at, False)] if at is not None else [(drawn, False), (default_sizes(model), True)]
    if at is None and convention == "volume2":  # (its own sizes are a 10000-word vocabulary: never tried)
        # a second-volume model whose output layer is its embedding transposed (BetterRnnlm's weight tying) runs
        # only where the word vectors are as long as the hidden state
        candidates = [(drawn, False), (replace(drawn, D=drawn.hidden[0]), False)]
    for sizes, own in candidates:
        if sizes is None:
            break
        try:
            with seeded([seed, k, 13]):  # the model draws its initial weights from numpy's global state
                instance, kwargs, sizes = build(model, sizes, options)
            call = adapt(convention, instance, sizes, np.random.default_rng([seed, k, 12]))
        except NoDataRuns as exc:  # other sizes may run; skipped (nothing to judge) if none does
            no_data = no_data or str(exc)
            continue
        except (NotRunnable, NotImplementedYet) as exc:  # skipped, as such a layer is: nothing to judge here
            return _Case(not_run=str(exc)), model.__name__
        except (BuildError, ModelError) as exc:
            first = first or str(exc)
            continue
        except ImportError as exc:
            missing = _Case(not_run=f"could not be run: {exc.name or exc} is missing (install or build it); "
                                    f"{model.__name__}() raised {type(exc).__name__}: {exc}")
            return missing, model.__name__
        built = f"{described(model, kwargs)}, {_data(call)}"
        case = _check_case(call, rtol=rtol, atol=atol, reg=_reg(kwargs, call), own_sizes=bool(own))
        if case.rounded:
            built += "; it rounds to float32 inside all the same, so it is judged at float32's tolerances"
        if not case.crashed_early or _forward_runs(call):
            return case, built
        first = first or (case, built)
    if first is None and no_data is not None:
        return _Case(not_run=no_data), model.__name__
    assert first is not None
    return first


def _where_it_fits(case: _Case, built: str, model: type, convention: str, options: dict[str, Any] | None, *,
                   seed: int, k: int, rtol: float, atol: float) -> tuple[_Case, str]:
    """A model that crashed on arrays of mismatched shapes, checked again where input, hidden and class sizes
    are all equal. A gradient computed with its operands swapped (dW = doutᵀ · x) has its parameter's
    transposed shape, and the model's own next line (W + reg * W, an update) crashes before any gradient is
    returned; at equal sizes it fits by accident and every gradient is judged, so each one the bug makes
    wrong is blamed (as `transposed`, not only the one being computed when it crashed). The crash stays the
    first finding; a model that crashes there too, or passes there, is left as it was."""
    crash = next((f for f in case.findings if f.code == "crashed"), None)
    if crash is None or case.gradients or not is_shape_crash(crash.message):
        return case, built
    drawn = draw_sizes(seed, k)
    n = drawn.D
    square = Sizes(N=drawn.N, D=n, hidden=(n,) * len(drawn.hidden), C=n)
    ran = _run_case(model, convention, options, seed=seed, k=k, rtol=rtol, atol=atol, at=square)
    if isinstance(ran, str) or not ran[0].gradients or not ran[0].failed:
        return case, built
    fitted, there = ran
    wrong = [p for p, g in fitted.gradients.items() if not g.passed]
    said = replace(crash, message=f"{crash.message.rstrip()}; where the shapes fit by accident (input, hidden and "
                                  f"class sizes all {n}: {there}) {', '.join(wrong)} "
                                  f"{'is' if len(wrong) == 1 else 'are'} wrong")
    return _Case(fitted.gradients, [said, *[f for f in fitted.findings if f is not crash]]), built


#: what the core may call a gradient that is wrong only because dropout's mask is missing in backward (a
#: clean factor, such as the keep ratio forgotten, keeps its own code)
_UNSHAPED = {"dropped-term", "misrouted", "mismatch"}


def _in_dropout_terms(case: _Case, model: type, options: dict[str, Any] | None, **kw: Any) -> _Case:
    """A dropout variant failing where the same model without dropout passes: the gradients that fail for no
    simple factor are said as `missing-mask` (backward lets gradient through the units forward dropped)."""
    if not switches_dropout_on(options) or any(f.severity == FAIL for f in case.findings):
        return case
    wrong = {p: g for p, g in case.gradients.items() if not g.passed}
    if not wrong or any(g.bug_code not in _UNSHAPED for g in wrong.values()):
        return case
    if check_model(model, **kw).verdict == FAIL:  # wrong without dropout too: not dropout's doing
        return case
    said = {p: replace(g, bug_code="missing-mask", diagnosis=(
        f"{p} is wrong only when dropout is on (the same model without dropout passes): backward lets "
        "gradient through the units forward dropped; multiply by the same mask in backward")) for p, g in wrong.items()}
    return _Case({**case.gradients, **said}, case.findings, case.crashed_early, case.not_run)


def _in_inner_terms(case: _Case, model: type) -> _Case:
    """Wrong gradients of no simple pattern named by the one layer the model calls that fails on its own
    (`gradlab.models.inner`): a ReLU without its mask inside the model is `missing-mask`, not `misrouted`."""
    if not any(not g.passed and g.bug_code in _UNSHAPED for g in case.gradients.values()):
        return case
    said = in_layer_terms(case.gradients, inner_layer_failures(model), _UNSHAPED)
    return _Case(said, case.findings, case.crashed_early, case.not_run)


def _in_derivative_terms(case: _Case, model: type, convention: str, options: dict[str, Any] | None, *, seed: int,
                         k: int, rtol: float, atol: float) -> _Case:
    """Wrong gradients of no simple pattern tested against one hypothesis per activation derivative the model
    calls (`gradlab.models.inner.derivative_hypotheses`): the same case run again with the derivative taking the
    other array (sigmoid_grad(z1) where sigmoid_grad(a1) belongs). If every gradient is then right, that is the
    bug: `wrong-input`."""
    unshaped = {p: g for p, g in case.gradients.items() if not g.passed and g.bug_code in _UNSHAPED}
    if not unshaped or any(f.severity == FAIL for f in case.findings):
        return case
    for name, hypothesis, stand_in in derivative_hypotheses(model):
        with standing_in(model, name, stand_in):
            ran = _run_case(model, convention, options, seed=seed, k=k, rtol=rtol, atol=atol)
        if isinstance(ran, str) or ran[0].failed or not ran[0].gradients:
            continue
        said = {p: replace(g, bug_code="wrong-input", diagnosis=(
            f"{p} is right when {name} is made to take the other array (tested): {hypothesis}"))
            for p, g in unshaped.items()}
        return _Case({**case.gradients, **said}, case.findings, case.crashed_early, case.not_run)
    return case


def _forward_runs(call: ModelCall) -> bool:
    """Whether a CS231n model's forward alone (loss(X) with no labels: the scores) runs: then a crash of
    loss(X, y) is its backward's, a finding at these sizes, not a reason to try its own (large) sizes."""
    if call.convention != "cs231n":
        return False
    try:
        with seeded():
            call.model.loss(call.data["X"])
    except Exception:  # noqa: BLE001 - the user's forward: it does not run at these sizes
        return False
    return True


def check_variants(model: type, **kw: Any) -> list[ModelReport]:
    """`model` as built by default, then with each normalisation and with dropout where it offers them
    (`gradlab.models.build.variants`): one report each."""
    return [check_model(model, options=options, **kw) for options in variants(model)]


def variant_name(model: type, options: dict[str, Any] | None) -> str:
    """`FullyConnectedNet`, or the class with a variant's options, as `FullyConnectedNet(use_dropout=True)`."""
    if not options:
        return model.__name__
    return f"{model.__name__}({', '.join(f'{k}={spelled(v)}' for k, v in options.items())})"


def _report(label: str, case: _Case, built: str, **base: Any) -> ModelReport:
    origin = next((p for p, g in case.gradients.items() if not g.passed), None)
    return ModelReport(label, case.gradients, tuple(case.findings), case=built, origin=origin, **base)


def _check_case(call: ModelCall, *, rtol: float, atol: float, reg: float, own_sizes: bool = False) -> _Case:
    """One built model's check; at its own (large) sizes each parameter is projected first (DeepConvNet: 8 min)."""
    case = _Case(own_sizes=own_sizes)
    saved = {k: v.copy() for k, v in call.params.items()}
    data = {k: v.copy() for k, v in call.data.items()}
    try:
        # 1. the loss once: a finite scalar; parameters and data left alone
        try:
            y0 = _loss(call)
        except _Stop:
            case.crashed_early = True
            raise
        if not np.isfinite(y0):
            raise _Stop(Finding("non-finite", FAIL, f"the loss is {float(y0)} for finite data and parameters"))
        _unchanged(call, saved, data, "the loss", case)
        # 2. the gradients once
        analytic = _call("the gradients", call.gradients)
        _unchanged(call, saved, data, "computing the gradients", case)
        # 3. every parameter, in backprop order
        primes = _primes(call)
        inexact = _inexact_log(call)
        rtol, atol = max(rtol, inexact), max(atol, inexact)
        for p, arr in call.params.items():
            if arr.size > MAX_MISSHAPED and np.ndim(analytic.get(p)) and np.shape(analytic.get(p)) != arr.shape:
                # a large parameter (a model run at its own sizes) whose gradient has another shape: finite
                # differences of every element would cost minutes and cannot make the shape right
                case.gradients[p] = misshaped(p, call.grad_names[p], np.shape(analytic.get(p)), arr, call.convention)
                continue
            judged_y0 = y0
            if call.convention == "volume2" and _rounds_to_float32(call, arr, y0):
                # a float32 array its code makes where gradlab cannot widen it (`from numpy import empty`,
                # astype('f') in forward): judged at the precision it computes in, as a layer is (y0's dtype sets it)
                case.rounded, judged_y0 = True, y0.astype(np.float32)
            result = judge(p, analytic.get(p), arr, lambda: _loss(call), upstream=np.array(1.0), y0=judged_y0,
                           batch_size=call.N, rtol=rtol, atol=atol, shown_as=call.grad_names[p],
                           project_above=0 if own_sizes else AUTO_MIN_SIZE)
            case.gradients[p] = _replaced(in_model_terms(result, call.convention, arr, call.grad_names[p], reg=reg,
                                                         primes=primes.get(p)), call)
    except _Stop as stop:
        case.findings.append(stop.finding)
        if stop.not_run:
            case.not_run = f"{stop.not_run}; {stop.finding.message}"
    finally:
        for k, v in saved.items():
            call.params[k][...] = v
    return case


def _rounds_to_float32(call: ModelCall, arr: np.ndarray, y0: np.ndarray) -> bool:
    """Whether the loss of a model made float64 still moves as a float32 computation does when the parameter `arr`
    moves (`gradlab.core.precision.measured_precision`): one array at a time, as a rounding after the first layer
    leaves the later layers' parameters smooth."""
    found = measured_precision(lambda: _loss(call), [arr], np.asarray(y0, dtype=np.float64), np.random.default_rng(7))
    return found is not None and found.eps >= FLOAT32.eps


def _replaced(result: GradientResult, call: ModelCall) -> GradientResult:
    """A wrong gradient of a second-volume model whose layer replaced its gradient array in backward, said so: the
    model's grads list still holds the array gathered when it was built."""
    held = call.rebound.get(result.name)
    if result.passed or held is None:
        return result
    return replace(result, diagnosis=(
        f"{result.diagnosis}; the model's grads entry is no longer {held}: that layer's backward replaced the array "
        "(self.grads[i] = ...) where it must write into it (self.grads[i][...] = ...), so the list the model gathered "
        "when it was built keeps the old array"))


def _loss(call: ModelCall) -> np.ndarray:
    value = _call("the loss", call.loss)
    if value is None:  # a course template's `loss = None` (or `pass`) still in place: nothing to judge yet
        raise _Stop(Finding("crashed", FAIL, f"{_what_loss(call)} returned None"),
                    not_run="not implemented yet: the loss is None (fill in the TODO of the loss)")
    try:
        return scalar_of(value, _what_loss(call))
    except ValueError as exc:
        raise _Stop(Finding("crashed", FAIL, str(exc))) from None


def _what_loss(call: ModelCall) -> str:
    spelled = {"cs231n": "model.loss(X, y)", "textbook": "net.loss(x, t)"}
    return spelled.get(call.convention, "the cost of feedforward(x)")


def _call(what: str, fn: Any) -> Any:
    try:
        return fn()
    except ModelError as exc:
        raise _Stop(Finding("crashed", FAIL, str(exc))) from None
    except Exception as exc:  # the user's error, in one line, is the finding
        raise _Stop(Finding("crashed", FAIL, f"{what} raised {type(exc).__name__}: {exc}"),
                    not_run=not_runnable_here(exc)) from exc


def _unchanged(call: ModelCall, saved: dict[str, np.ndarray], data: dict[str, np.ndarray], what: str,
               case: _Case) -> None:
    for k, v in call.params.items():
        if not np.array_equal(v, saved[k]):
            case.findings.append(Finding("stale-parameters", FAIL, f"{what} changed {k}: a model must leave its "
                                         "parameters to the optimizer (update them in train, not in loss)", k))
            v[...] = saved[k]
    for k, v in call.data.items():
        if not np.array_equal(v, data[k]):
            case.findings.append(Finding("mutates-input", FAIL, f"{what} wrote into the data {k} it was given", k))
            v[...] = data[k]


#: the textbook's cross_entropy_error takes log(y + DELTA); its gradient (y - t) / N leaves DELTA out
TEXTBOOK_DELTA = 1e-7
#: the largest tolerance that allowance may set: a gradient 1% off still fails
MAX_ALLOWANCE = 1e-3


def _inexact_log(call: ModelCall) -> float:
    """What the textbook's log(y + 1e-7) makes its correct gradient differ by, relative to the gradient's
    scale: about 1e-7 / p for a true class of probability p (10x that, as a tolerance), read off the
    net's own predict(x). 0 for the conventions that do not use it, or a net without predict. (The second volume's
    SoftmaxWithLoss calls the same cross_entropy_error; its labels are drawn where p is not tiny, `adapters`.)"""
    if call.convention not in ("textbook", "volume2") or not callable(getattr(call.model, "predict", None)):
        return 0.0
    try:
        scores, y = call.scores()
    except Exception:  # noqa: BLE001 - no allowance then; the check itself reports what is wrong
        return 0.0
    C = scores.shape[-1] if scores.ndim else 0
    if not C or scores.size % C:
        return 0.0
    flat = scores.reshape(-1, C)
    t = np.argmax(y, axis=-1) if np.ndim(y) == scores.ndim else np.asarray(y)
    if t.size != len(flat) or not np.issubdtype(t.dtype, np.integer):
        return 0.0
    shifted = flat - flat.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    smallest = float(p[np.arange(len(flat)), t.reshape(-1)].min())
    return min(MAX_ALLOWANCE, 10 * TEXTBOOK_DELTA / max(smallest, 1e-300))


def _primes(call: ModelCall) -> dict[str, np.ndarray]:
    """The derivative sigmoid'(z) of each layer of a Nielsen network, keyed by the parameters of that layer."""
    if call.convention != "nielsen":
        return {}
    n = len(call.params) // 2
    weights = [call.params[f"weights[{i}]"] for i in range(n)]
    biases = [call.params[f"biases[{i}]"] for i in range(n)]
    try:
        primes = sigmoid_primes(weights, biases, call.data["x"])
    except ValueError:  # shapes that do not chain: the check itself says what is wrong
        return {}
    return {**{f"weights[{i}]": s for i, s in enumerate(primes)}, **{f"biases[{i}]": s for i, s in enumerate(primes)}}


def _reg(kwargs: dict[str, Any], call: ModelCall) -> float:
    """The regularisation strength the model was given (in its constructor, or CS231n's loss(X, y, reg))."""
    from gradlab.models.build import REGULARISATION

    return REG if any(k.lower() in REGULARISATION for k in kwargs) or "reg" in call.options else 0.0


def _data(call: ModelCall) -> str:
    if call.encoding is not None:  # a second-volume model: its arrays made float64 for the check
        return f"N={call.N}, {call.encoding.said}, computed in float64"
    if call.convention == "nielsen":
        return f"one sample x {call.data['x'].shape}, y {call.data['y'].shape}"
    return f"N={call.N}, X {call.data['X'].shape}"


def _source_of(model: type) -> str:
    import inspect

    try:
        return inspect.getsourcefile(model) or ""
    except TypeError:
        return ""
