"""Many cases of one layer: hypothesis draws them, shrinks a failure, and the report says it all.

`check_entry` is the function behind `gradlab check`, the pytest helper and the grader: it runs
`check.check_case` on hypothesis-drawn cases (plus fixed extreme cases), keeps the worst error of
every gradient, and for a failure returns the smallest failing case with what passes next to it
("fails with N=2; passes with N=1")."""

from __future__ import annotations

import traceback
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hyp_seed
from hypothesis.errors import HypothesisException

from gradlab.cases.cautions import cautions
from gradlab.cases.more_precise import factor_on_one_element, failing_size, more_precise
from gradlab.cases.other_layouts import as_sequences, crashed_on_batches, in_columns, in_rows, second_opinion, unbatched
from gradlab.cases.parameter_forms import forward_backward, parameter_form
from gradlab.cases.refusals import REJECTED_EVERY_CASE, CannotRun, Refusals, error_report
from gradlab.cases.runs_elsewhere import ran_elsewhere
from gradlab.cases.seed_only import seed_only
from gradlab.cases.strategies import specs
from gradlab.cases.where_it_fits import codes_of, where_it_fits, with_a_failure_that_ran
from gradlab.cases.window_shapes import one_window_size, square_window
from gradlab.cases.worst import WorstCases
from gradlab.conventions.adapters import adapt, layout_hints, refusal
from gradlab.conventions.registry import Entry
from gradlab.conventions.source_reading import converts_label_encodings
from gradlab.conventions.unbatched import UNBATCHED
from gradlab.core.check import check_case
from gradlab.core.diagnose import SAME_RTOL
from gradlab.core.protocol import Layer
from gradlab.core.results import FAIL, PASS, WARN, CaseResult, Finding, GradientResult, LayerReport
from gradlab.core.tolerances import DEFAULT_EXAMPLES
from gradlab.kinds import KINDS, Case, Kind, build_case, describe_spec

__all__ = ["DEFAULT_EXAMPLES", "check_entry", "run_case", "takes_optional_input"]


class _CaseFailed(Exception):
    def __init__(self, result: CaseResult):
        super().__init__(result.describe())
        self.result = result


def run_case(entry: Entry, spec: dict[str, Any], *, finite_only: bool = False, mode: str = "auto") -> CaseResult:
    kind = KINDS[entry.kind]
    case = build_case(kind, spec)
    # overflow in a student's exp is reported as a finding, not as noise on the terminal
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return check_case(lambda c: adapt(entry, kind, c), kind, case, name=entry.name,
                          convention=entry.convention, seed=int(spec.get("seed", 0)), finite_only=finite_only,
                          mode=mode)


def takes_optional_input(kind: Kind, make: Callable[[Case], Layer], *,
                         reraise: tuple[type[BaseException], ...] = ()) -> bool:
    """Whether a layer takes its kind's optional richer input (`Kind.optional_input`), e.g. an Affine
    that maps (N, C, H, W) to (N, M) as the textbook's final one does. `make(case)` builds the layer for
    the probe case; its forward (and backward, where the kind says so) runs there; anything they raise means
    "no", except `reraise` (the grader's own failures). Shared by the runner and the grader."""
    option = kind.optional_input
    if option is None:
        return True
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            case = build_case(kind, option.probe)
            layer = make(case)
            y = layer.forward(case.x.copy(), None)
            if option.backward_too:
                layer.backward(np.random.default_rng(0).standard_normal(np.shape(y)))
    except reraise:
        raise
    except Exception:
        return False
    return np.shape(y) == option.output


def check_entry(entry: Entry, *, examples: int = DEFAULT_EXAMPLES, seed: int = 0, mode: str = "auto",
                replay: Sequence[Mapping[str, Any]] = ()) -> LayerReport:
    """Check `entry` on `examples` hypothesis cases; the report carries the smallest failure.

    `mode` is the checker's ("auto", "full" or "fast", see `gradlab.core.values.MODES`). `replay`
    are specs to try before any drawn case (failures of earlier runs): the first that fails is
    the failure, and no case is drawn. Whatever happens on one layer ends in its report: options
    that cannot apply to its kind (the column layout on a convolution) and a failure of gradlab's
    own are a one-line error, never an exception that would lose the other layers' results.
    """
    kind = KINDS[entry.kind]
    refused = refusal(entry, kind)
    if refused is not None:  # not the layer's fault: the hint says what to do instead
        return replace(error_report(entry, refused, seed, 0),
                       hints={"crashed": "check this layer without that option: it does not apply to its kind"})
    run = partial(_check_entry, kind=kind, examples=examples, seed=seed, mode=mode, replay=replay)
    try:
        report = _check_entry(entry, kind, examples=examples, seed=seed, mode=mode, replay=replay)
    except CannotRun as exc:  # not the layer's bug, and not checked: the reason says what is missing
        found = as_sequences(entry, kind, run, exc.reason)  # a Linear transposing (B, S, D) runs on sequences
        return found[1] if found else replace(error_report(entry, exc.reason, seed, 0), not_run=exc.reason)
    except Exception as exc:  # gradlab's own failure on this layer, not the layer's (that is a finding)
        return error_report(entry, f"gradlab could not check this layer ({type(exc).__name__}: {exc}"
                                    f"{_gradlab_line(exc)}); this is a gradlab bug, please report it", seed, 0)
    found = None
    # a forward that returns one number for a batch is that layer's bug in any layout (another would hide it)
    single = report.failing is not None and any(f.message.startswith("forward returned a single number")
                                                 for f in report.failing.findings)
    # crashed on the batches drawn, whatever the extreme case found (a softmax without its row maximum subtracted,
    # written for one sample as a column, is non-finite there too: its layout is found first)
    crashed = crashed_on_batches(report.bug_codes, report.failing.bug_codes if report.failing is not None else ())
    if crashed and report.error is None and "layout" not in entry.options and not single:
        found = in_columns(entry, kind, run)
    elif (report.not_run or "").startswith(REJECTED_EVERY_CASE) and not {"layout", "samples"} & set(entry.options):
        # a layer that refuses every batch may take one sample with no batch axis (scipy's correlate2d on x[j])
        found = unbatched(entry, kind, run, refused_batches=True)
    elif (report.not_run or "").startswith(REJECTED_EVERY_CASE):
        # a name that gave it a course's layout (linear_forward: deeplearning.ai's columns) it does not follow
        found = in_rows(entry, kind, run)
    entry, report = found or (entry, report)
    entry, report = (None if single else second_opinion(entry, kind, run, report)) or (entry, report)
    hints = layout_hints(entry)
    return replace(report, hints=hints) if hints else report


def _gradlab_line(exc: BaseException) -> str:
    """`, at gradlab/core/check.py:160`: the innermost line of gradlab's own code the exception passed."""
    package = Path(__file__).resolve().parents[1]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(package):
            return f", at gradlab/{path.relative_to(package).as_posix()}:{frame.lineno}"
    return ""


def _check_entry(entry: Entry, kind: Kind, *, examples: int, seed: int, mode: str,
                 replay: Sequence[Mapping[str, Any]]) -> LayerReport:
    worst = WorstCases()
    warned: dict[str, Finding] = {}
    count = 0
    ran: list[CaseResult] = []  # the first case that failed on gradients the layer returned, without a crash
    largest: list[CaseResult] = []  # ... and the largest such case (the most elements in its failing gradients)

    def record(result: CaseResult) -> None:
        nonlocal count
        count += 1
        worst.add(result.gradients)
        if result.failed and result.gradients and "crashed" not in result.bug_codes:
            ran[:] = ran or [result]
            if not largest or failing_size(result) > failing_size(largest[0]):  # the most failing elements
                largest[:] = [result]
        for w in result.warnings:
            warned.setdefault(w.message, w)

    flat_input, overrides, notes = _what_it_takes(entry, kind)
    warned.update((n.message, n) for n in notes)
    refusals = Refusals(entry, kind)
    square = one_window_size(entry, kind)  # a pool built with one window size is given square windows

    def fit(spec: Mapping[str, Any]) -> dict[str, Any]:
        return square_window({**spec, **overrides}) if square else {**spec, **overrides}

    fixed_failure = _first_failure((run_case(entry, fit(spec), finite_only=True)
                                    for spec in kind.extreme_specs(entry.convention)), refusals, record)
    # a failure remembered from an earlier run (the pytest plugin keeps them) is tried first
    failing = _first_failure((run_case(entry, dict(remembered), mode=mode) for remembered in replay), refusals, record)
    if failing is None:
        try:
            failing = _search(entry, kind, examples=examples, seed=seed, mode=mode, flat_input=flat_input,
                              fit=fit, record=record, refusals=refusals)
        except HypothesisException as exc:  # e.g. Unsatisfiable: report, never crash
            return error_report(entry, f"hypothesis could not generate cases: {exc}", seed, count)
    refused = refusals.conclude(count, seed, warned)
    if refused is not None:
        return refused

    ran[:] = ran or ran_elsewhere(failing, kind, entry.convention, partial(run_case, entry, mode=mode), seed=seed,
                                  flat_input=flat_input, fit=fit)  # a crash may hide a case that runs, wrong
    report = _report(entry, failing or fixed_failure, worst=worst.gradients, warnings=tuple(warned.values()),
                     count=count, seed=seed, extra_codes=fixed_failure.bug_codes if fixed_failure is not None else [],
                     extreme=failing is None, ran=ran[0] if ran else None, largest=largest[0] if largest else None)
    if failing is not None and fixed_failure is not None:
        report = replace(report, extreme_failure=fixed_failure)
    return report


def _first_failure(results: Iterable[CaseResult], refusals: Refusals,
                   record: Callable[[CaseResult], None]) -> CaseResult | None:
    """The first of `results` that fails, each recorded on the way unless set aside (a geometry the layer refuses by
    design). `results` is lazy, so that no case after the failure is run."""
    for result in results:
        if refusals.set_aside(result):
            continue
        record(result)
        if result.failed:
            return result
    return None


def _what_it_takes(entry: Entry, kind: Kind) -> tuple[bool, dict[str, Any], list[Finding]]:
    """What the layer accepts, probed once before any case: whether it takes its kind's richer input
    (a 4-D Affine), which label encodings, and which form of a parameter (PReLU's one slope or one per
    feature); cases are then drawn accordingly, with a note each where the layer refuses what courses give."""
    notes: list[Finding] = []
    flat_input = entry.options.get("layout", "rows") == "columns"  # the column layout is 2-D only
    option = kind.optional_input
    if option is not None and not flat_input and \
            not takes_optional_input(kind, lambda case: adapt(entry, kind, case)):
        flat_input = True
        if option.note:  # no note: both inputs are the layer's own choice (group norm's gamma shapes)
            notes.append(Finding("wrong-shape", WARN, option.note.format(name=entry.name, checked="checked")))
    # a layer written for one sample at a time (a single column) is checked on batches of one
    overrides: dict[str, Any] = {"N": 1} if entry.options.get("samples") in ("one", UNBATCHED) else {}
    taken = label_encodings_taken(entry, kind)
    if taken:
        overrides["labels"] = taken[0]
        # labels of the other encoding have another shape ((N,) against (N, C)): a note, not a bug
        notes.append(Finding("wrong-shape", WARN, only_labels_note(entry.name, kind, taken, "checked")))
    if not flat_input:
        # the form the layer is written in (one slope, or one per feature): a choice, not a bug, so no note
        overrides.update(parameter_form(kind, entry.convention, partial(forward_backward, entry, kind)))
    return flat_input, overrides, [*notes, *cautions(kind, entry.convention, partial(run_case, entry), overrides)]


def label_encodings_taken(entry: Entry, kind: Kind) -> list[str]:
    """The label encodings a loss takes when it takes some of its kind's but not all (its cases draw the first of
    them); [] when it takes all, or none (then its cases show the crash). The grader's sandbox asks it too."""
    if len(kind.label_encodings) < 2:
        return []
    # an encoding refused at one batch size and taken at another is a bug of the layer's, not its convention
    # (`elif len(y_true) == 2:` where len(y_true.shape) belongs runs one-hot labels at N = 2 only): cases draw
    # it. Never at a batch size equal to a size of the probe (N = C lets p[range(N), t] broadcast one-hot t)
    sizes = set(kind.batch_spec(entry.convention).values())
    taken = [e for e in kind.label_encodings
             if any(_takes_labels(entry, kind, e, n) for n in (3, 2, 5) if n == 3 or n not in sizes)]
    if taken and len(taken) < len(kind.label_encodings) and \
            not (kind.label_fallback_only and taken[0] == kind.label_encodings[0]):
        return taken
    return []


def only_labels_note(name: str, kind: Kind, taken: list[str], checked: str) -> str:
    """The note on a loss that takes only the label encodings `taken` (`checked`: "checked" or "graded")."""
    others = ", ".join(e for e in kind.label_encodings if e not in taken)
    return f"{name} accepts only {' and '.join(taken)} labels; it was {checked} with those (courses also use {others})"


def _takes_labels(entry: Entry, kind: Kind, encoding: str, N: int = 3) -> bool:
    case = build_case(kind, {"N": N, **kind.batch_spec(entry.convention), "labels": encoding, "seed": 0})
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            layer = adapt(entry, kind, case)
            layer.forward(case.x.copy(), None if case.t is None else case.t.copy())
        except Exception:
            return False
        try:
            layer.backward(np.array(1.0))
        except Exception:
            # The book's SoftmaxWithLoss computes (y - t) / N for one-hot t only, while its forward's cross-entropy
            # takes both encodings: a convention, not a bug. A backward that itself converts labels (an index
            # turned one-hot by np.eye(samples) where np.eye(classes) belongs) means both: its crash is its bug.
            target = entry.target
            return converts_label_encodings(target[-1] if isinstance(target, tuple) and target else
                                            getattr(target, "backward", target))
    return True


def _search(entry: Entry, kind: Kind, *, examples: int, seed: int, mode: str, flat_input: bool,
            fit: Callable[[Mapping[str, Any]], dict[str, Any]], record: Callable[[CaseResult], None],
            refusals: Refusals | None = None) -> CaseResult | None:
    """The smallest failing case hypothesis finds among `examples` drawn ones, or None."""

    @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), phases=(Phase.generate, Phase.shrink),
              report_multiple_bugs=False)
    @given(specs(kind, convention=entry.convention, flat_input=flat_input).map(fit))
    def run(spec: dict[str, Any]) -> None:
        if refusals is not None and refusals.cannot_run:
            return  # nothing more to learn: the search only runs out its cases
        result = run_case(entry, spec, mode=mode)
        try:
            if refusals is not None and refusals.set_aside(result):
                return  # a geometry the layer refuses by design: neither a pass nor a failure
        except CannotRun:
            return  # hypothesis must not shrink this: _check_entry reports it
        record(result)
        if result.failed:
            raise _CaseFailed(result)

    try:
        with seed_only():  # the cases of a seed must not depend on which modules are loaded
            hyp_seed(seed)(run)()
    except _CaseFailed as exc:
        return exc.result
    return None


def _confirmed_off_zero(entry: Entry, failing: CaseResult, codes: list[str]) -> tuple[CaseResult, list[str]]:
    """An all-zero gradient on a case whose hyper-parameter is 0 (reg = 0, shrinking's first choice) may be a term
    that vanishes there, kept alone where it should have been added to (`dW = reg * W` for `dW += reg * W`): the
    same case at the kind's own non-zero value says what the user sees at theirs, and is shown as the failing case,
    so that its body explains the header's codes. A gradient that is zero there too stays zero-gradient."""
    kind = KINDS[entry.kind]
    zeroed = [k for k in kind.hyper_args if isinstance(failing.spec.get(k), float) and failing.spec[k] == 0.0]
    if not zeroed:
        return failing, codes
    default = build_case(kind, {k: v for k, v in failing.spec.items() if k not in zeroed}).hyper
    off_zero = {k: default[k] for k in zeroed if isinstance(default.get(k), float) and default[k] != 0.0}
    if not off_zero:
        return failing, codes
    other = run_case(entry, {**failing.spec, **off_zero})
    if not other.failed or not other.bug_codes or "zero-gradient" in other.bug_codes or "crashed" in other.bug_codes:
        return failing, codes
    at_zero = {g.name: g for g in failing.gradients}
    said = ", ".join(f"{k} = {v:g}" for k, v in off_zero.items())
    gradients = tuple(_only_the_vanishing_part(g, at_zero.get(g.name), said) for g in other.gradients)
    other = replace(other, gradients=gradients)
    return other, list(other.bug_codes)


def _only_the_vanishing_part(g: GradientResult, g0: GradientResult | None, said: str) -> GradientResult:
    """The gradient at the non-zero hyper-parameter read against the same case at 0: the same inputs, so the true
    gradients' difference is the part that vanishes at 0 (the penalty's), and an analytic gradient that is that part
    exactly has lost the rest (the data term) to an overwrite, whatever the values alone would suggest."""
    if g.passed or g0 is None or g0.bug_code != "zero-gradient" or g.analytic is None or g.numeric is None \
            or g0.numeric is None or g0.numeric.shape != g.numeric.shape or g.analytic.shape != g.numeric.shape:
        return g
    part = g.numeric - g0.numeric
    scale = float(np.abs(g.numeric).max(initial=0.0))
    if not np.any(g0.numeric) or not np.allclose(g.analytic, part, rtol=0.0, atol=SAME_RTOL * scale):
        return g
    return replace(g, bug_code="dropped-term", diagnosis=(
        f"{g.name} is only the part of the true gradient that vanishes at 0 (measured here at {said}): the rest "
        "(the data term) was overwritten instead of added to (= where += belongs)"))


def _report(entry: Entry, failing: CaseResult | None, *, worst: dict[str, GradientResult],
            warnings: tuple[Finding, ...], count: int, seed: int, extra_codes: list[str],
            extreme: bool = False, ran: CaseResult | None = None, largest: CaseResult | None = None) -> LayerReport:
    common: dict[str, Any] = dict(name=entry.name, kind=entry.kind, convention=entry.convention, examples=count,
                                  seed=seed, warnings=warnings, intended_bug=entry.bug,
                                  source=entry.source or entry.module)
    if failing is None:
        return LayerReport(verdict=WARN if warnings else PASS, bug_codes=[], worst=worst, **common)
    codes = failing.bug_codes
    passes_with = None
    N = int(failing.spec["N"])
    # an extreme case is judged on finiteness alone: smaller or larger batches of it say nothing
    if N > 1 and not extreme:
        smaller = run_case(entry, {**failing.spec, "N": 1})
        if not smaller.failed:
            passes_with = "N=1"
    # a factor of N or 1/N may be a constant that equals it here (2 at N=2, a keep ratio 0.2 at N=5), any factor at
    # N=2 too (N or the constant 2), an axis of length 1 at N=1 (the batch axis not summed, or summed with keepdims):
    # confirm on another batch size, shown as the failing case so that the body explains the header's codes
    smallest = describe_spec(failing.spec)
    ambiguous = {"missing-batch-mean", "extra-batch-mean"} | \
        ({"scaled", "wrong-reduction" if N == 1 else "scaled"} if N <= 2 else set())
    # a layer that takes no batch has no other size
    one_at_a_time = entry.options.get("samples") in ("one", UNBATCHED)
    if not extreme and not one_at_a_time and set(codes) & ambiguous:
        larger = run_case(entry, {**failing.spec, "N": 4 if N != 4 else 7})
        # a crash on the other size reads nothing about the gradient the first case returned (an in-place
        # b -= lr * db whose wrongly summed db broadcasts at N=1 and not at N=4): the first reading stays, and the
        # crash is said after it (a layer that runs on one sample only is not one for batches)
        if larger.failed and larger.bug_codes and larger.bug_codes != codes:
            if "crashed" in larger.bug_codes:
                failing = replace(failing, findings=(*failing.findings, *(
                    replace(f, message=f"{f.message.rstrip()} (with {larger.describe()})")
                    for f in larger.findings if f.severity == FAIL and f.code not in codes)))
                codes = list(dict.fromkeys([*codes, *larger.bug_codes]))
            else:
                codes, failing = larger.bug_codes, larger
    weak = set(codes) in ({"mismatch"}, {"zero-gradient"}, {"transposed"}) or factor_on_one_element(failing)
    if not extreme and not one_at_a_time and weak:
        failing, codes = more_precise(entry, failing, largest, lambda spec: run_case(entry, spec))
    if not extreme and "zero-gradient" in codes:
        failing, codes = _confirmed_off_zero(entry, failing, codes)
    # a failure on shapes alone (a crash, a transposed gradient broadcast to a square) may hide gradients that are
    # returned, and named, where the sizes fit by accident
    fitted = None if extreme else where_it_fits(failing, lambda spec: run_case(entry, spec))
    if fitted is None and not extreme:  # a crash on some cases, wrong gradients on others: both are said
        fitted = with_a_failure_that_ran(failing, ran)
    if fitted is not None:
        failing, codes = fitted, codes_of(fitted)
    codes = list(dict.fromkeys(codes + extra_codes))
    merged = dict(worst)
    for g in failing.gradients:
        merged[g.name] = g
    return LayerReport(verdict=FAIL, bug_codes=codes, worst=merged, failing=failing,
                       smallest_failing=smallest, passes_with=passes_with, **common)
