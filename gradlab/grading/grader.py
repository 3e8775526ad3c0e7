"""Grade one submission against an assignment: points per layer, each point explained.

The recipe: draw a fixed, seeded list of cases per required layer (`gradlab.grading.layer_cases`);
start a sandbox that imports the submission; for each layer, run the unchanged
`gradlab.core.check.check_case` in this process on a `RemoteLayer` proxy, and compare every
forward output with the reference layer. A layer's points split into tests (forward, each
gradient, structure) by the assignment's weights; a test passes only if it passes on every case,
and a wrong forward voids the layer's other tests (a backward consistent with the wrong function
proves nothing). A sandbox that hangs, dies or talks nonsense costs the layer it was serving; a
fresh one serves the next layer.
The grade's objects are in `gradlab.grading.grades`, how the proxy of each case is built in
`gradlab.grading.layer_factory`.
Non-goals: the output formats (`gradlab.grading.gradescope`, `gradlab.grading.feedback`), many submissions
at once (`gradlab.grading.class_folder`).
"""

from __future__ import annotations

import time
import warnings
import zlib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.cases.other_layouts import crashed_on_batches
from gradlab.cases.parameter_forms import parameter_form
from gradlab.cases.runner import only_labels_note
from gradlab.cases.where_it_fits import equal_sizes
from gradlab.core.check import check_case
from gradlab.core.messages import float32_note
from gradlab.core.results import CaseResult
from gradlab.grading import session
from gradlab.grading.assignment import Assignment, RequiredLayer
from gradlab.grading.check_names import named_as_check
from gradlab.grading.fix_search import search_fixes
from gradlab.grading.forward_reference import forward_verdict
from gradlab.grading.grades import Grade, LayerGrade
from gradlab.grading.layer_cases import evidence_withheld, layer_specs, withholding_evidence
from gradlab.grading.layer_factory import layer_factory, remote_forward_backward
from gradlab.grading.sandbox import jail
from gradlab.grading.sandbox.process import Sandbox, SandboxFailure
from gradlab.grading.tally import Part, Tally
from gradlab.kinds import Case, Kind, build_case, normalise_class_name

#: dropout must drop something: with at least this many outputs and none zero, its forward fails
DROPOUT_MIN_OUTPUTS = 40
#: at most this many warnings per layer reach the feedback (a child that runs hostile code may word each case's anew)
MAX_WARNINGS = 8


def components(kind: Kind) -> list[tuple[str, str]]:
    """(component, weight key) of a layer: forward, dx, each parameter gradient, structure."""
    grads = (["dx"] if kind.x_differentiable else []) + ["d" + p for p in kind.params]
    return [("forward", "forward"), *((g, "gradient") for g in grads), ("structure", "structure")]


def _match(required: RequiredLayer, entries: list[dict[str, Any]], convention: str) -> dict[str, Any] | None:
    """The submission's layer for `required`: same name, else same name ignoring case/underscores,
    else the only layer of the same kind and convention."""
    for test in (lambda e: e["name"] == required.name,
                 lambda e: normalise_class_name(e["name"]) == normalise_class_name(required.name)):
        hits = [e for e in entries if test(e)]
        if hits:
            return hits[0]
    same = [e for e in entries if e["kind"] == required.kind.name and e["convention"] == convention]
    return same[0] if len(same) == 1 else None


def grade_layer(box: Sandbox, required: RequiredLayer, entry: dict[str, Any], assignment: Assignment) -> LayerGrade:
    """Grade one required layer, found in the submission as `entry`, in the running sandbox `box`. A layer that
    crashed on every batch is graded again in each convention of one sample at a time that `gradlab check` tries
    (a row at a time, or no batch axis: `gradlab.cases.other_layouts`), and the first it runs in stands."""
    grade = _grade_layer(box, required, entry, assignment)
    for samples, said in _sample_conventions(box, required, entry, assignment, grade):
        again = _grade_layer(box, required, entry, assignment, samples=samples)
        if "crashed" not in again.bug_codes and again.error is None:
            again.note = " ".join(filter(None, [again.note, f"Graded as detected: samples as {said} (it crashed on "
                                                             "batches; gradlab check finds the same)."]))
            return again
        if again.error is not None:  # the sandbox failed: the first grade stands, without another try
            break
    return grade


def _sample_conventions(box: Sandbox, required: RequiredLayer, entry: dict[str, Any], assignment: Assignment,
                        grade: LayerGrade) -> list[tuple[str, str]]:
    """The one-sample conventions to grade `grade`'s layer in, tried as `gradlab check` tries them: none unless it
    only crashed on gradlab's batches in rows (on its drawn cases, whatever the extreme ones found:
    `crashed_on_batches`), and the child names them, where the layer's code is; with samples as columns, one column
    at a time where it crashed (`gradlab.cases.other_layouts.in_columns`: a learner's Dense whose bias takes the
    output gradient itself). A forward returning one number for a batch is that layer's bug in any layout."""
    if grade.error is not None or box.failure is not None or entry.get("layout") is not None or \
            any(p.message.startswith("forward returned a single number") for p in grade.parts):
        return []
    if assignment.layout == "columns":
        return [("one", "columns, one sample at a time")] if "crashed" in grade.bug_codes and \
            not required.kind.is_loss else []
    if not crashed_on_batches(grade.bug_codes, grade.drawn_codes):
        return []
    reply = box.call({"op": "samples", "entry": entry["name"]})
    tries = reply.get("tries") if reply.get("ok") else None
    known = {"one", "unbatched"}
    return [(t[0], t[1][:80]) for t in (tries if isinstance(tries, list) else [])
            if isinstance(t, list) and len(t) == 2 and t[0] in known and isinstance(t[1], str)][:2]


def _grade_layer(box: Sandbox, required: RequiredLayer, entry: dict[str, Any], assignment: Assignment, *,
                 samples: str | None = None) -> LayerGrade:
    """`grade_layer` in one convention: samples as the assignment says (`samples` None), or one at a time."""
    kind = required.kind
    comps = components(kind)
    total_w = sum(assignment.weights[w] for _, w in comps) or 1.0
    parts = {c: Part(entry["name"], c, round(required.points * assignment.weights[w] / total_w, 4),
                     hidden=required.hidden) for c, w in comps}
    grade = LayerGrade(required, entry["name"], list(parts.values()))
    tally = Tally(parts)
    seed = assignment.seed + zlib.crc32(required.name.encode())
    zeros = size = failures = 0
    failed: tuple[dict[str, Any], Callable[[Case], Any], dict[str, str]] | None = None  # the smallest failing case
    single: dict[str, None] = {}  # the gradients computed in float32, in order
    box.budget(assignment.limits.timeout, f"grading {entry['name']}")
    prepared = _prepared(box, entry, kind, assignment, grade, samples)
    if prepared is None:
        return grade
    factory, flat, form = prepared
    drawn_only, specs = True, layer_specs(kind, assignment, seed, flat, form)
    for spec, finite_only in specs:
        if finite_only and drawn_only:  # the extreme cases come last
            grade.drawn_codes, drawn_only = grade.bug_codes, False
        case = build_case(kind, spec)
        made: list[Any] = []
        withheld = evidence_withheld(specs, spec, failures)
        make = withholding_evidence(factory(made)) if withheld else factory(made)
        try:
            result = _check(make, kind, case, entry, spec, finite_only)
            # a layer taking one sample at a time takes no bigger batch
            fwd = None if finite_only else forward_verdict(made, kind, case, seed + int(spec.get("seed", 0)),
                                                           name=entry["name"], make=make,
                                                           bigger=grade.cases == 0 and not samples)
        except (SandboxFailure, LayerBroke) as exc:
            for p in grade.parts:
                tally.fail(p.component, ["crashed"], exc.detail, spec)
            grade.error = exc.detail
            break
        grade.cases += 1
        display = _display(made, kind, parts)
        if fwd is not None:
            zeros, size = zeros + fwd.zeros, size + fwd.size
        for warning in result.warnings:  # what `gradlab check` warns of (cost no points) reaches the feedback too
            if warning.message not in grade.warnings and len(grade.warnings) < MAX_WARNINGS:
                grade.warnings.append(warning.message)
        single.update(dict.fromkeys(g.name for g in result.gradients if g.precision == "float32"))
        first = made[0].first_output if made else None
        tally.record(result, fwd, spec, display, zero_output=first is not None and not np.any(first),
                     forward_ran=finite_only and first is not None, vote=not withheld)
        tally.refuse_precision(result, assignment.precision, spec, display)
        failures += any(not g.passed for g in result.gradients)
        if failed is None and any(not g.passed for g in result.gradients):
            failed = (spec, make, display)
    if drawn_only:
        grade.drawn_codes = grade.bug_codes
    _where_it_fits(tally, factory, kind, entry)
    _settled(grade, tally, kind, assignment, list(single), dropped=(zeros, size))
    if failed is not None and not tally.wrong_function:
        named_as_check(box, grade, failed, seed, assignment)
    return grade


def _display(made: list[Any], kind: Kind, parts: dict[str, Part]) -> dict[str, str]:
    """The part of each gradient name a case's findings use (the student's own, `dweights`, or gradlab's, `dW`); each
    part is then titled as its messages name the gradient: the student's own name for it."""
    display = {"dx": "dx", "forward": "forward"}
    if made:
        display.update({made[0].grad_names[p]: "d" + p for p in kind.params})
        display.update({p: "d" + p for p in kind.params})
        for param in kind.params:
            parts["d" + param].label = made[0].grad_names[param]
    return display


def _where_it_fits(tally: Tally, factory: Callable[[list[Any]], Callable[[Case], Any]], kind: Kind,
                   entry: dict[str, Any]) -> None:
    """Where a crash's shapes named a gradient's bug, the gradients the layer returns on its first crashed case with
    its feature sizes made equal (`gradlab.cases.where_it_fits`, as check reads it): which of them the bug is in.
    Names only: that case is not graded."""
    square = equal_sizes(tally.crashed_spec) if tally.crash_reads and tally.crashed_spec is not None else None
    if square is None:
        return
    made: list[Any] = []
    try:
        result = _check(factory(made), kind, build_case(kind, square[0]), entry, square[0], False)
    except (SandboxFailure, LayerBroke):  # the crash's reading then goes to every crashed gradient
        return
    display = _display(made, kind, tally.parts)
    tally.fitted = {display.get(g.name, g.name): g.bug_code for g in result.gradients if not g.passed}


def _prepared(box: Sandbox, entry: dict[str, Any], kind: Kind, assignment: Assignment, grade: LayerGrade,
              samples: str | None) -> tuple[Callable[[list[Any]], Callable[[Case], Any]], bool, dict[str, Any]] | None:
    """The layer's factory, whether it takes flat input only, and what the probes found put into every case (a
    parameter's form, the labels it takes, batches of one); None, with every part failed, when the sandbox failed."""
    try:
        factory, flat = layer_factory(box, entry, kind, assignment, grade, samples=samples)
        # the form a parameter takes in the layer (PReLU's one slope or one per feature), found as the checker finds it
        form = {} if flat else parameter_form(kind, assignment.convention,
                                              partial(remote_forward_backward, box, entry["name"], kind,
                                                      samples=samples), reraise=(SandboxFailure,))
        if samples is not None:  # a layer taking one sample at a time is graded on batches of one
            form["N"] = 1
        if assignment.layout != "columns":
            form.update(_labels_taken(box, entry["name"], kind, grade))
    except SandboxFailure as exc:
        for p in grade.parts:
            p.passed, p.codes, p.message = False, ["crashed"], exc.detail
        grade.error = exc.detail
        return None
    return factory, flat, form


def _settled(grade: LayerGrade, tally: Tally, kind: Kind, assignment: Assignment, single: list[str],
             dropped: tuple[int, int]) -> LayerGrade:
    """The layer's parts once every case is in: float32 gradients labelled, a dropout that never dropped a unit
    failed, and no backward credited when the forward is not the right function."""
    tally.settle()
    if single and assignment.precision is None:  # labelled as `gradlab check` labels it (a required one refuses it)
        grade.warnings.append(float32_note(single))
    zeros, size = dropped
    forward = next((p for p in grade.parts if p.component == "forward"), None)
    if kind.must_drop and size >= DROPOUT_MIN_OUTPUTS and zeros == 0 and forward is not None and forward.passed:
        forward.passed = False
        forward.codes = ["mismatch"]
        forward.message = f"forward never dropped a unit in {size} outputs: in training mode it must " \
                          "zero each unit with the dropout probability"
        tally.wrong_function = True
    if tally.wrong_function:
        for p in grade.parts:
            if p.component != "forward" and p.passed:
                p.passed = False
                p.message = "not credited: the forward pass is not the right function, so a backward consistent " \
                            "with it proves nothing (see the forward test)"
    return grade


def _labels_taken(box: Sandbox, name: str, kind: Kind, grade: LayerGrade) -> dict[str, Any]:
    """A loss that takes only some label encodings courses use (one-hot, not indices) is graded with those, with
    a warning, as `gradlab check` checks it; {} for any other layer. The child probes it, where the code runs."""
    if len(kind.label_encodings) < 2:
        return {}
    reply = box.call({"op": "labels", "entry": name})
    taken = reply.get("taken") if reply.get("ok") else None
    # the child runs the student's code: only a proper subset of the kind's own encodings is taken from it
    if not isinstance(taken, list) or not taken or not set(taken) < set(kind.label_encodings):
        return {}
    encodings = [e for e in kind.label_encodings if e in taken]
    grade.warnings.append(only_labels_note(name, kind, encodings, "graded"))
    return {"labels": encodings[0]}


class LayerBroke(Exception):
    """The checker raised on what the student's layer returned (a 0-d output, a shape that changes between calls,
    ...): that layer crashed; the grader and the other layers carry on."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def _check(make: Callable[[Case], Any], kind: Kind, case: Case, entry: dict[str, Any], spec: dict[str, Any],
           finite_only: bool) -> CaseResult:
    """`check_case` on one case; an exception from the checker (never a `SandboxFailure`) is the layer's crash."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return check_case(make, kind, case, name=entry["name"], convention=entry["convention"],
                              seed=int(spec.get("seed", 0)), finite_only=finite_only)
    except SandboxFailure:
        raise
    except Exception as exc:
        raise LayerBroke(f"gradlab could not check what your layer returned ({type(exc).__name__}: "
                         f"{str(exc)[:200]}); forward must return an array of one fixed shape for one input, "
                         "backward arrays of the input's and parameters' shapes") from None


def _missing(required: RequiredLayer, assignment: Assignment, why: str) -> LayerGrade:
    comps = components(required.kind)
    total_w = sum(assignment.weights[w] for _, w in comps) or 1.0
    parts = [Part(required.name, c, round(required.points * assignment.weights[w] / total_w, 4), passed=False,
                  message=why, hidden=required.hidden) for c, w in comps]
    return LayerGrade(required, None, parts, error=why)


def grade_submission(path: str | Path, assignment: Assignment, *,
                     on_layer: Callable[[LayerGrade], None] | None = None, helpers: bool = False) -> Grade:
    """Grade the submission at `path` (a .py file, or a folder of them) against `assignment`.

    `helpers`: a single file travels with the local modules it imports (for one student's file
    graded where it was written; never in a class folder of flat files, where a neighbour is
    another student)."""
    start = time.monotonic()
    path = Path(path)
    mode, warning = jail.choose(assignment.sandbox)
    grade = Grade(str(path), assignment, [], sandbox=mode, notes=[warning] if warning else [])
    box: Sandbox | None = None
    hello: dict[str, Any] = {}
    printed: dict[str, list[Any]] = {}
    try:
        end = start + assignment.limits.total_timeout
        for required in assignment.layers:
            if time.monotonic() >= end:  # the budget is spent: the rest are not graded, not hung on
                layer = _missing(required, assignment, "not graded: your submission used up its total time "
                                                       f"budget of {assignment.limits.total_timeout:g} s")
            else:
                # a fresh child after one that failed mid-layer; never a second try at a failed import
                if box is None or (box.failure is not None and hello.get("ok")):
                    if box is not None:
                        session.close(box, grade, printed)
                    box = Sandbox(path, assignment.limits, helpers=helpers, mode=mode, end=end)
                    hello = session.start(box, grade)
                layer = _layer_in(box, hello, required, assignment, grade)
            grade.layers.append(layer)
            if on_layer is not None:
                on_layer(layer)
        if assignment.show_fix and hello.get("ok"):
            # after every layer is graded, in the time left: a fix search never costs a point
            box = search_fixes(box, grade, end, path, helpers, mode, printed)
    finally:
        if box is not None:
            session.close(box, grade, printed)
    for stream, (n, text) in printed.items():
        more = " (its beginning and its end)" if n > len(text.encode()) else ""
        grade.notes.append(f"your code printed {n} bytes on {stream}{more}:\n{text}")
    grade.execution_time = round(time.monotonic() - start, 3)
    return grade


def _layer_in(box: Sandbox, hello: dict[str, Any], required: RequiredLayer, assignment: Assignment,
              grade: Grade) -> LayerGrade:
    """The grade of `required` in the started `box`: graded if the submission defines it, else why not."""
    if not hello.get("ok"):
        why = f"your file could not be imported: {str(hello.get('error'))[:600]}"
        if why not in grade.notes:
            grade.notes.append(why)
        return _missing(required, assignment, why)
    entries = [e for e in hello.get("entries", []) if isinstance(e, dict) and
               isinstance(e.get("name"), str) and isinstance(e.get("kind"), str)]
    entry = _match(required, entries, assignment.convention)
    if entry is None:
        style = "class" if assignment.convention == "class" else "function (pair)"
        found = ", ".join(e["name"] for e in entries) or "none"
        # a file that could not be imported is likely where the layer is: say why, with the layer
        unread = session.unimported(hello)
        also = f"; not imported: {'; '.join(unread)[:600]}" if unread else ""
        return _missing(required, assignment, f"no {style} named {required.name!r} was found "
                                               f"(layers found: {found}){also}")
    duplicates = hello.get("duplicates")
    files = duplicates.get(entry["name"]) if isinstance(duplicates, dict) else None
    if isinstance(files, list) and files:
        chosen = _named_file(required.file, [str(f) for f in files])
        if chosen is None:
            named = f"; the assignment names {required.file!r}, which is none of them" if required.file else ""
            return _missing(required, assignment, f"{entry['name']} is defined in {len(files)} files "
                                                   f"({', '.join(map(str, files))[:300]}){named}: gradlab does not "
                                                   "guess which one to grade; keep one definition")
        entry = {**entry, "name": f"{entry['name']}@{chosen}"}
    return _grade_layer_safely(box, required, entry, assignment)


def _named_file(file: str | None, files: list[str]) -> str | None:
    """The one of `files` (paths in the submission) that the assignment's `file` names, if any."""
    if file is None:
        return None
    hits = [f for f in files if f == file or f.endswith("/" + file.lstrip("/"))]
    return hits[0] if len(hits) == 1 else None


def _grade_layer_safely(box: Sandbox, required: RequiredLayer, entry: dict[str, Any],
                        assignment: Assignment) -> LayerGrade:
    """`grade_layer`, but whatever goes wrong while grading one layer costs that layer only."""
    try:
        return grade_layer(box, required, entry, assignment)
    except SandboxFailure as exc:
        return _missing(required, assignment, exc.detail)
    except Exception as exc:  # a grader bug met by one odd layer: the rest of the class still gets graded
        return _missing(required, assignment, f"this layer could not be graded ({type(exc).__name__}: "
                                              f"{str(exc)[:200]}); please tell your instructor")
