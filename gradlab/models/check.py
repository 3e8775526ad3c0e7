"""The model checker: every parameter's gradient against finite differences of the model's own loss.

`check_model(ModelClass)` builds the class small (`gradlab.models.build`) on a few cases drawn from
the seed, calls it in its convention (`gradlab.models.adapters`; the second volume's models made float64 and fed
their own data by `gradlab.models.second_volume`), and checks each case (`gradlab.models.case_check`: the loss,
the gradients, each parameter in backprop order against central differences of the loss).
The first failing case is the report; otherwise the worst error of each parameter over all cases. A failing
case is then said more precisely where it can be: a crash on mismatched shapes is checked again where every
layer size is equal (a transposed gradient fits there, so each wrong one is blamed), and gradients wrong by no
simple pattern are named by the layer the model calls that fails alone, or by a tested hypothesis about the
array an activation's derivative was given (`gradlab.models.inner`).
`origin` is the first wrong parameter in backprop order. Nothing the model does raises out of here: a
crash is a finding, a model that cannot be built is the report's `error`.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import chain
from typing import Any

import numpy as np

from gradlab.core.crash_reading import is_shape_crash, transposed_operand
from gradlab.core.results import FAIL, Finding, GradientResult
from gradlab.core.tolerances import ATOL, RTOL
from gradlab.models.adapters import ModelCall, adapt, convention_of, seeded
from gradlab.models.build import (
    REG,
    BuildError,
    NotRunnable,
    Sizes,
    build,
    default_sizes,
    described,
    draw_sizes,
    spelled,
    switches_dropout_on,
    variants,
)
from gradlab.models.case_check import Case, check_case
from gradlab.models.errors import ModelError, NoDataRuns, NotImplementedYet
from gradlab.models.inner import (
    derivative_hypotheses,
    in_layer_terms,
    inner_layer_failures,
    per_call_hypotheses,
    standing_in,
)
from gradlab.models.report import ModelReport
from gradlab.models.tiny_weights import said as said_scaled

__all__ = ["DEFAULT_CASES", "case_passes", "check_model", "check_variants", "variant_name"]

#: cases per model: each a fresh build with other sizes (odd ones with two hidden layers where a list is taken)
DEFAULT_CASES = 3


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
    base: dict[str, Any] = dict(convention=convention, seed=seed, source=source or _source_of(model), model=model,
                                options=options)
    worst: dict[str, GradientResult] = {}
    order: list[str] = []  # the longest backprop order seen (cases differ in depth)
    case, built = Case(), ""
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
    return _report(label, Case(ordered or case.gradients, case.findings), built, examples=examples, **base)


def case_passes(model: type, convention: str, options: dict[str, Any] | None, *, seed: int, k: int = 0,
                rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether case `k` of `model` runs and every gradient is right (the fix search's screen of an edited copy)."""
    ran = _run_case(model, convention, options, seed=seed, k=k, rtol=rtol, atol=atol)
    return not isinstance(ran, str) and not ran[0].not_run and bool(ran[0].gradients) and not ran[0].failed


def _run_case(model: type, convention: str, options: dict[str, Any] | None, *, seed: int, k: int, rtol: float,
              atol: float, at: Sizes | None = None) -> tuple[Case, str] | str:
    """Case `k` at small sizes (or at the sizes `at`); if the model cannot be built or run at them (a size
    written into its code, 28x28 images), at its own default sizes (large arrays are then checked by
    projection). The case and how the model was built, or a one-line error."""
    first: tuple[Case, str] | str | None = None
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
            return Case(not_run=str(exc)), model.__name__
        except (BuildError, ModelError) as exc:
            first = first or str(exc)
            continue
        except ImportError as exc:
            missing = Case(not_run=f"could not be run: {exc.name or exc} is missing (install or build it); "
                                    f"{model.__name__}() raised {type(exc).__name__}: {exc}")
            return missing, model.__name__
        built = f"{described(model, kwargs)}, {_data(call)}{said_scaled(call.scaled)}"
        case = check_case(call, rtol=rtol, atol=atol, reg=_reg(kwargs, call), own_sizes=bool(own))
        if case.rounded:
            built += "; it rounds to float32 inside all the same, so it is judged at float32's tolerances"
        if not case.crashed_early or _forward_runs(call):
            return case, built
        first = first or (case, built)
    if first is None and no_data is not None:
        return Case(not_run=no_data), model.__name__
    assert first is not None
    return first


def _where_it_fits(case: Case, built: str, model: type, convention: str, options: dict[str, Any] | None, *,
                   seed: int, k: int, rtol: float, atol: float) -> tuple[Case, str]:
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
    gradients, first = _transposed_where_it_fits(crash.message, fitted.gradients, said)
    return Case(gradients, [*first, *[f for f in fitted.findings if f is not crash]]), built


def _transposed_where_it_fits(message: str, gradients: dict[str, GradientResult], crash: Finding
                              ) -> tuple[dict[str, GradientResult], list[Finding]]:
    """The crash a refused product whose one operand's transpose fits (np.dot(w, delta) where w.T belongs), and the
    gradients wrong where the sizes let it run and of no pattern of their own: `transposed`, said first."""
    operand = transposed_operand(message)
    wrong = {p: g for p, g in gradients.items() if not g.passed and g.bug_code in _UNSHAPED}
    if operand is None or not wrong:
        return gradients, [crash]
    sentence = (f"backprop multiplied an array of shape {operand} where the product needs its transpose "
                f"{operand[::-1]}: it crashed there, and where the sizes are equal (the transpose fits by accident) "
                f"it runs and {', '.join(wrong)} {'is' if len(wrong) == 1 else 'are'} wrong: a weight is used where "
                "its transpose belongs (e.g. np.dot(w, delta) where np.dot(w.transpose(), delta) belongs)")
    said = {p: replace(g, bug_code="transposed", diagnosis=f"{p} is wrong where the sizes are equal, and at others "
                       f"backprop crashed multiplying an array of shape {operand} where its transpose belongs")
            for p, g in wrong.items()}
    return {**gradients, **said}, [Finding("transposed", FAIL, sentence), crash]


#: what the core may call a gradient that is wrong only because dropout's mask is missing in backward (a
#: clean factor, such as the keep ratio forgotten, keeps its own code)
_UNSHAPED = {"dropped-term", "misrouted", "mismatch"}


def _in_dropout_terms(case: Case, model: type, options: dict[str, Any] | None, **kw: Any) -> Case:
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
    return Case({**case.gradients, **said}, case.findings, case.crashed_early, case.not_run)


def _in_inner_terms(case: Case, model: type) -> Case:
    """Wrong gradients of no simple pattern named by the one layer the model calls that fails on its own
    (`gradlab.models.inner`): a ReLU without its mask inside the model is `missing-mask`, not `misrouted`."""
    if not any(not g.passed and g.bug_code in _UNSHAPED for g in case.gradients.values()):
        return case
    said = in_layer_terms(case.gradients, inner_layer_failures(model), _UNSHAPED)
    return Case(said, case.findings, case.crashed_early, case.not_run)


def _in_derivative_terms(case: Case, model: type, convention: str, options: dict[str, Any] | None, *, seed: int,
                         k: int, rtol: float, atol: float) -> Case:
    """Wrong gradients of no simple pattern tested against one hypothesis per activation derivative the model
    calls (`gradlab.models.inner.derivative_hypotheses`): the same case run again with the derivative taking the
    other array (sigmoid_grad(z1) where sigmoid_grad(a1) belongs). If every gradient is then right, that is the
    bug: `wrong-input`. Then each call of a derivative alone (`per_call_hypotheses`): one layer's call wrong."""
    unshaped = {p: g for p, g in case.gradients.items() if not g.passed and g.bug_code in _UNSHAPED}
    if not unshaped or any(f.severity == FAIL for f in case.findings):
        return case

    def run() -> tuple[Case, str] | str:
        return _run_case(model, convention, options, seed=seed, k=k, rtol=rtol, atol=atol)

    for name, hypothesis, stand_in in chain(derivative_hypotheses(model), per_call_hypotheses(model, run)):
        with standing_in(model, name, stand_in):
            ran = run()
        if isinstance(ran, str) or ran[0].failed or not ran[0].gradients:
            continue
        said = {p: replace(g, bug_code="wrong-input", diagnosis=(
            f"{p} is right when {name} is made to take the other array (tested): {hypothesis}"))
            for p, g in unshaped.items()}
        return Case({**case.gradients, **said}, case.findings, case.crashed_early, case.not_run)
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


def _report(label: str, case: Case, built: str, **base: Any) -> ModelReport:
    origin = next((p for p, g in case.gradients.items() if not g.passed), None)
    return ModelReport(label, case.gradients, tuple(case.findings), case=built, origin=origin, **base)



def _reg(kwargs: dict[str, Any], call: ModelCall) -> float:
    """The regularisation strength the model was given (in its constructor, or CS231n's loss(X, y, reg))."""
    from gradlab.models.build import REGULARISATION

    return REG if any(k.lower() in REGULARISATION for k in [*kwargs, *call.options]) else 0.0


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
