"""One built model checked on its data, once: every parameter's gradient against finite differences of its loss.

1. the loss, once: a finite scalar, the same when computed again, parameters and data left alone
   (`stale-parameters`, `mutates-input`);
2. the gradients, once: parameters left alone;
3. each parameter in backprop order, element by element against central differences of the loss
   (`gradlab.functions.gradient.judge`: the core's tolerances, kink probes and diagnosis), then said in
   the model's terms where it can be (`gradlab.models.hints`).
The textbook's log(y + 1e-7) is allowed for in the tolerances (`_inexact_log`), and a second-volume model that
still rounds to float32 somewhere is judged at float32's. Nothing the model does raises out of here: a crash is a
finding of the `Case`.
Non-goal: building the model, choosing its sizes or its report, saying a failure more precisely by running it
again (all `gradlab.models.check`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gradlab.core.precision import FLOAT32, measured_precision
from gradlab.core.projection import AUTO_MIN_SIZE
from gradlab.core.results import FAIL, Finding, GradientResult
from gradlab.functions.gradient import judge, scalar_of
from gradlab.models.adapters import ModelCall
from gradlab.models.build import not_runnable_here
from gradlab.models.errors import ModelError
from gradlab.models.hints import in_model_terms, misshaped, sigmoid_primes

__all__ = ["MAX_ALLOWANCE", "MAX_MISSHAPED", "TEXTBOOK_DELTA", "Case", "check_case"]

#: a parameter larger than this whose gradient has the wrong shape is failed on its shape alone
MAX_MISSHAPED = 4096


@dataclass
class Case:
    """What one case found: each parameter's result in backprop order, and the findings about the model itself."""

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
    """The case ends here (a crash, a non-finite loss): its finding is the case's."""

    def __init__(self, finding: Finding, not_run: str | None = None):
        super().__init__(finding.message)
        #: why the model cannot be run on this machine (then it is skipped, not failed)
        self.finding, self.not_run = finding, not_run


def check_case(call: ModelCall, *, rtol: float, atol: float, reg: float, own_sizes: bool = False) -> Case:
    """One built model's check; at its own (large) sizes each parameter is projected first (DeepConvNet: 8 min)."""
    case = Case(own_sizes=own_sizes)
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
        if not case.findings:  # (a loss that changed the parameters or data differs again for that reason, said)
            _same_again(call, y0)
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


#: two evaluations of the loss at the same parameters and data agree to this (relative): the same arithmetic
REPEAT_RTOL = 1e-9


def _same_again(call: ModelCall, y0: np.ndarray) -> None:
    """The loss computed again at the same parameters and data is the same number: a model that carries something
    from one call to the next (a stateful RNN's hidden state gradlab could not reset) has no derivative finite
    differences can measure; its check stops here, said so, rather than judged on noise (or passed at float32's
    tolerances when the carried state happens to settle)."""
    again = _loss(call)
    if np.isfinite(again) and abs(float(again) - float(y0)) <= REPEAT_RTOL * max(abs(float(y0)), 1e-300):
        return
    raise _Stop(Finding("stale-parameters", FAIL, (
        f"the loss is {float(y0):.10g}, then {float(again):.10g} computed again at the same parameters and data: the "
        "model carries something from one call to the next (a hidden state: reset it in reset_state(), or start "
        "forward from zeros when it is not stateful), so its gradient cannot be checked")))


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
    except (Exception, SystemExit) as exc:  # the user's error, in one line, is the finding (exit() ends no checker)
        raise _Stop(Finding("crashed", FAIL, f"{what} raised {type(exc).__name__}: {exc}"),
                    not_run=not_runnable_here(exc)) from exc


def _unchanged(call: ModelCall, saved: dict[str, np.ndarray], data: dict[str, np.ndarray], what: str,
               case: Case) -> None:
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
    net's own predict(x), or the input of its loss layer of class scores where it has no predict
    (`ModelCall.scores`). 0 for the conventions that do not use it, or a net without scores gradlab can read. (The
    second volume's SoftmaxWithLoss calls the same cross_entropy_error; its labels are drawn where p is not tiny,
    `adapters`, which leaves this allowance small.)"""
    if call.convention not in ("textbook", "volume2"):
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
