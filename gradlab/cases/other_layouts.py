"""Second opinions for a layer that crashed on gradlab's batches, samples as rows: run it in the other layouts
published code uses, and keep the first under which it runs (the report then says what was detected).

Samples as columns (Andrew Ng's and Nielsen's courses write Z = W @ X + b, X of shape (features, N)) or one column
at a time (the popular from-scratch networks that loop over samples: x (features, 1), a bias (out, 1) updated with
the output gradient itself); or, for any kind, one sample as a row (their `FCLayer` on (1, features)) or with no
batch axis at all (their `Convolutional` on one image (C, H, W), `gradlab.conventions.unbatched`).
Only a crash is retried, never a wrong value: a softmax over axis 0 is the column layout's softmax and the rows
layout's bug, and only the user can say which they meant (`--layout`).
Non-goal: checking (`run` is the runner's check of one entry).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from gradlab.conventions.adapters import refusal
from gradlab.conventions.class_construction import LR_NAMES, propagation_pair
from gradlab.conventions.registry import Entry
from gradlab.conventions.sample_updates import updates_one_sample_only
from gradlab.conventions.sequences import SEQUENCE_LAYOUT, SEQUENCES
from gradlab.conventions.unbatched import ONE_ROW_LAYOUT, UNBATCHED, UNBATCHED_LAYOUT
from gradlab.conventions.unreduced_mean import UNREDUCED
from gradlab.conventions.unrunnable import ANOTHER_RANK
from gradlab.conventions.update_methods import UPDATE_METHODS
from gradlab.core.results import WARN, Finding, LayerReport
from gradlab.kinds import Kind, build_case

__all__ = ["as_sequences", "crashed_on_batches", "in_columns", "in_rows", "one_sample_only", "sample_conventions",
           "second_opinion", "unbatched"]

Run = Callable[[Entry], LayerReport]


def crashed_on_batches(codes: Sequence[str], drawn: Sequence[str]) -> bool:
    """Whether a layer is to be tried in the other layouts: it only crashed, on the batches drawn (`drawn`: the codes
    of its failing drawn case, or of all its drawn cases) or overall (`codes`). What an extreme case found (NaN beyond
    exp's overflow) does not count: a softmax without its row maximum subtracted, written for one sample, crashes on
    batches and is non-finite in any layout, so its layout is found first. `gradlab check` and `gradlab grade` both
    ask this, so that they try the same layouts."""
    return list(dict.fromkeys(codes)) == ["crashed"] or list(dict.fromkeys(drawn)) == ["crashed"]


def in_columns(entry: Entry, kind: Kind, run: Run) -> tuple[Entry, LayerReport] | None:
    """`entry` with samples as columns and its report, if it runs that way; failing that, one column at a time;
    failing that (or for a kind with no column layout), one sample with no batch axis. W (out, in), as the column
    courses write it, is tried first; a layer that still crashes keeps its rows report (None)."""
    for samples in ("all", "one"):
        for weights in ("out_in", "in_out") if kind.params else ("in_out",):
            candidate = replace(entry, options={**entry.options, "layout": "columns", "weights": weights,
                                                **({"samples": "one"} if samples == "one" else {})})
            if refusal(candidate, kind) is not None:  # a kind without a column layout (convolution)
                return unbatched(entry, kind, run)
            try:
                report = run(candidate)
            except Exception:  # noqa: BLE001 - the rows report stands; this was only a second opinion
                return None
            if _ran(report):
                how = "columns" if samples == "all" else "columns, one sample at a time"
                shape = "W (out, in)" if weights == "out_in" else "W (in, out)"
                found = candidate, replace(report, detected_layout=f"{how}, {shape}" if kind.params else how)
                # a layer failing as columns may be one written for a single vector (D,), which a column
                # (D, 1) breaks (np.diag of a column is its first element): the vector's passing report is kept
                alone = unbatched(entry, kind, run) if report.verdict == "fail" else None
                return alone if alone is not None and alone[1].verdict != "fail" else found
    return unbatched(entry, kind, run)


def in_rows(entry: Entry, kind: Kind, run: Run) -> tuple[Entry, LayerReport] | None:
    """`entry` without the course convention its name gave it (deeplearning.ai's `linear_forward`: samples as columns,
    W (out, in), mean gradients), in the rows layout, and its report, if it runs so; None when its options are not a
    course's or it does not run that way either. A learner's own `linear_forward(X, W, b)` for X (B, D_in) that
    checks its shapes refuses every case of the course's layout: its name is the course's, its layout is not."""
    stem = entry.name.split("[", 1)[0]
    course = kind.course_stems.get(stem)
    if not course or any(entry.options.get(k) != v for k, v in course.items()):
        return None
    candidate = replace(entry, options={k: v for k, v in entry.options.items() if k not in course})
    try:
        report = run(candidate)
    except Exception:  # noqa: BLE001 - the course layout's report stands; this was only a second opinion
        return None
    if not _ran(report) or (report.not_run or "").startswith("rejected every case"):
        return None
    return candidate, replace(report, detected_layout="rows, W (in, out): not the course's columns its name suggests")


#: what a layer written for sequences shows on rows: a sum over axes (0, 1) is one number, a `B, T, D = x.shape` raises
SEQUENCE_SIGNS = frozenset({"crashed", "wrong-reduction", "wrong-shape"})


def as_sequences(entry: Entry, kind: Kind, run: Run, rows: LayerReport | str) -> tuple[Entry, LayerReport] | None:
    """`entry` given its rows as sequences (N, T, D) and its report, if it failed on rows by `SEQUENCE_SIGNS` alone
    (`rows`: that report, or why it could not run on rows, arrays of another number of axes) and runs that way with
    every gradient of its shape (a transformer's LayerNorm summing dgamma over axes (0, 1)); None otherwise. It may
    then fail by another code only where the rows' wrong shapes were its parameters' (or it crashed): a dx reduced
    over the batch on rows is that layer's bug (a LeakyReLU summing dout over axis 0), which sequences only hide under
    another name. Only for a kind whose input is (N, D) floats and that is no loss: such a layer acts on each row, so
    each row may be a token."""
    if isinstance(rows, str) and ANOTHER_RANK not in rows or isinstance(rows, LayerReport) and rows.error is not None:
        return None
    codes = rows.bug_codes if isinstance(rows, LayerReport) else ["crashed"]
    if not codes or not set(codes) <= SEQUENCE_SIGNS or kind.is_loss or "samples" in entry.options or \
            entry.options.get("layout", "rows") != "rows" or not _takes_rows(kind, entry):
        return None
    candidate = replace(entry, options={**entry.options, "samples": SEQUENCES})
    try:
        report = run(candidate)
    except Exception:  # noqa: BLE001 - the rows report stands; this was only a second opinion
        return None
    # where every gradient then has its shape, the sequences explain the rows' failure
    if report.error is not None or not _ran(report) or set(report.bug_codes) & SEQUENCE_SIGNS:
        return None
    dx = rows.worst.get("dx") if isinstance(rows, LayerReport) else None
    if report.verdict == "fail" and dx is not None and dx.bug_code in SEQUENCE_SIGNS - {"crashed"}:
        return None
    if report.verdict == "fail" and isinstance(rows, LayerReport) and _crashed_in_backward_only(rows):
        return None  # forward took the rows: a backward that raised on them is its bug, which sequences only rename
    return candidate, replace(report, detected_layout=SEQUENCE_LAYOUT)


#: what a layer written for one sample at a time shows on a batch: a bias gradient keeping the batch axis (`db = dout`),
#: an outer product of the whole batch (`np.outer(x, grad)`), a product that needs a vector
ONE_SAMPLE_SIGNS = frozenset({"crashed", "wrong-reduction", "wrong-shape", "transposed"})


def second_opinion(entry: Entry, kind: Kind, run: Run, rows: LayerReport) -> tuple[Entry, LayerReport] | None:
    """After the layouts tried on a crash: a layer written for sequences (`as_sequences`), else one written for one
    sample at a time (`one_sample_only`)."""
    return as_sequences(entry, kind, run, rows) or one_sample_only(entry, kind, run, rows) or \
        as_mean_of_unreduced(entry, kind, run, rows)


def as_mean_of_unreduced(entry: Entry, kind: Kind, run: Run, rows: LayerReport) -> tuple[Entry, LayerReport] | None:
    """`entry` checked as the mean of the losses its forward returns unreduced, and its report, when checked as their
    sum it failed by the factor N alone (extra-batch-mean) and passes so (`gradlab.conventions.unreduced_mean`);
    None otherwise."""
    if rows.verdict != "fail" or rows.bug_codes != ["extra-batch-mean"] or not kind.is_loss or \
            "reduction" in entry.options or not any(UNREDUCED in w.message for w in rows.warnings):
        return None
    candidate = replace(entry, options={**entry.options, "reduction": "mean"})
    try:
        report = run(candidate)
    except Exception:  # noqa: BLE001 - the sum's report stands; this was only a second opinion
        return None
    return (candidate, report) if report.error is None and _ran(report) and report.verdict != "fail" else None


def one_sample_only(entry: Entry, kind: Kind, run: Run, rows: LayerReport) -> tuple[Entry, LayerReport] | None:
    """`entry` in the first one-sample convention under which it passes, its report a warning that says so, when it
    failed on batches by `ONE_SAMPLE_SIGNS` alone, crashing there or with an update of its own that takes no batch's
    gradients (`gradlab.conventions.sample_updates`); None otherwise. The from-scratch networks that loop over samples
    give a layer one vector (D,), one row (1, D) or one column (D, 1): their `db = output_gradient` keeps the batch
    axis of a batch, right for the one sample they give. A layer that only passes so is a warning, never a pass: in a
    network that feeds it batches, the same line is the bug the batch showed."""
    codes = rows.bug_codes
    if rows.verdict != "fail" or not codes or not set(codes) <= ONE_SAMPLE_SIGNS or kind.is_loss or \
            "samples" in entry.options or rows.error is not None:
        return None
    if "crashed" not in codes and not updates_one_sample_only(entry, kind):
        # a batch it runs on whose only fault is a gradient's shape (db = dout) is its bug, unless its own code says
        # it takes one sample (an update that cannot apply a batch's gradients)
        return None
    options: list[tuple[dict[str, str], str]] = [({"samples": UNBATCHED}, UNBATCHED_LAYOUT), ({"samples": "one"},
                                                                                             ONE_ROW_LAYOUT)]
    if entry.options.get("layout") == "columns":  # found as columns (a crash on rows): one column of them
        options = [({"samples": "one"}, f"{rows.detected_layout or 'columns'}, one sample at a time")]
    elif "layout" not in entry.options and refusal(replace(entry, options={"layout": "columns"}), kind) is None:
        options += [({"layout": "columns", "weights": w, "samples": "one"}, f"columns, one sample at a time, {shape}")
                    for w, shape in (("out_in", "W (out, in)"), ("in_out", "W (in, out)"))]
    for extra, said in options:
        candidate = replace(entry, options={**entry.options, **extra})
        try:
            report = run(candidate)
        except Exception:  # noqa: BLE001 - the batched report stands; this was only a second opinion
            continue
        if report.error is not None or not _ran(report):
            continue
        if report.verdict == "fail" and "crashed" in codes and not set(report.bug_codes) & ONE_SAMPLE_SIGNS:
            return candidate, replace(report, detected_layout=said)  # it runs on one sample: its bug shows there
        if report.verdict != "fail":
            note = Finding(codes[0], WARN, f"{entry.name} is right on one sample at a time ({said}) and wrong on a "
                                           f"batch ({', '.join(codes)}): right where the network feeds it one "
                                           "sample at a time; a batch needs its gradients summed over the samples")
            return candidate, replace(report, verdict=WARN, detected_layout=said, warnings=(*report.warnings, note))
    return None


def _crashed_in_backward_only(rows: LayerReport) -> bool:
    """Whether every crash of `rows` was raised by a backward (`Affine.backward: raised IndexError ...`): its forward
    ran on the rows, so the rows are a layout it takes."""
    crashes = [f.message.split(":", 1)[0] for f in (rows.failing.findings if rows.failing is not None else ())
               if f.code == "crashed"]
    return bool(crashes) and all("back" in call.lower() for call in crashes)


def _takes_rows(kind: Kind, entry: Entry) -> bool:
    """Whether the kind's input is a batch of rows of floats, (N, D)."""
    try:
        case = build_case(kind, {"N": 2, **kind.batch_spec(entry.convention), "seed": 0, "scale": 1.0})
    except Exception:  # noqa: BLE001 - a kind whose fixed spec needs more: not one of rows
        return False
    return np.ndim(case.x) == 2 and np.issubdtype(np.asarray(case.x).dtype, np.floating)


def unbatched(entry: Entry, kind: Kind, run: Run, *, refused_batches: bool = False) -> tuple[Entry, LayerReport] | None:
    """`entry` run on batches of one sample as a row, or failing that on one sample with no batch axis, and its
    report, if it runs so (None for a loss: its labels have a batch axis of their own). `refused_batches`: the layer
    refused every batched case, so a forward that runs on one sample is the layout found, even where its backward
    then returns nothing (a learner's copy of the videos' Convolutional without its `return input_gradient`)."""
    for samples, said in sample_conventions(entry, kind):
        candidate = replace(entry, options={**entry.options, "samples": samples})
        try:
            report = run(candidate)
        except Exception:  # noqa: BLE001 - the batched report stands; this was only a second opinion
            continue
        if _ran(report) or refused_batches and _returned_nothing(report):
            return candidate, replace(report, detected_layout=said)
    return None


def _returned_nothing(report: LayerReport) -> bool:
    """Whether forward ran and backward returned None for dx, with no other crash: the layer's bug in any layout."""
    dx = report.worst.get("dx")
    crashes = [f for f in (report.failing.findings if report.failing is not None else ()) if f.code == "crashed"]
    return report.error is None and dx is not None and dx.bug_code == "crashed" and dx.analytic_shape is None and \
        not crashes


def _ran(report: LayerReport) -> bool:
    """Whether the layer ran in the other layout: it did not crash, and a pass compared every gradient on at least
    one element. A softmax whose backward returns nothing passed with nothing compared on one sample as a column
    (its output over a single column is constant), where the rows report rightly said the backward returns None."""
    if "crashed" in report.bug_codes or report.error is not None:
        return False
    return report.verdict == "fail" or all(g.checked > 0 for g in report.worst.values())


def sample_conventions(entry: Entry, kind: Kind) -> list[tuple[str, str]]:
    """(the entry's `samples` option, how a report says it) of each one-sample convention to try, in order, on a layer
    that crashed on batches ([] for a loss: its labels have a batch axis of their own). The grader's sandbox asks it
    too, so that `gradlab grade` tries what `gradlab check` tries."""
    if kind.is_loss:
        return []
    # one row at a time only for a layer that updates itself inside backward, the convention of training loops over
    # samples: a course's batch layer that crashes on batches has a bug that one row could hide
    return [*((("one", ONE_ROW_LAYOUT),) if _updates_inside(entry) else ()), (UNBATCHED, UNBATCHED_LAYOUT)]


def _updates_inside(entry: Entry) -> bool:
    """Whether a class's backward takes a learning rate (`backward(output_gradient, learning_rate)`, the article's
    `backward_propagation(output_error, learning_rate)`), or the class has an update method of its own."""
    target = entry.target
    pair = propagation_pair(target)
    backward = getattr(target, pair[1], None) if pair is not None else getattr(target, "backward", None)
    if not isinstance(target, type) or backward is None:
        return False
    if any(callable(getattr(target, m, None)) for m in UPDATE_METHODS):
        return True  # an update(learning_rate) of its own, applying what backward kept (a from-scratch FCLayer's)
    try:
        names = list(inspect.signature(backward).parameters)
    except (TypeError, ValueError):
        return False
    return any(n in LR_NAMES for n in names[2:])
