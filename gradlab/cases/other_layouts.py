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

from gradlab.conventions.adapters import refusal
from gradlab.conventions.class_construction import LR_NAMES, PROPAGATION_METHODS
from gradlab.conventions.registry import Entry
from gradlab.conventions.unbatched import ONE_ROW_LAYOUT, UNBATCHED, UNBATCHED_LAYOUT
from gradlab.core.results import LayerReport
from gradlab.kinds import Kind

__all__ = ["crashed_on_batches", "in_columns", "in_rows", "sample_conventions", "unbatched"]

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
                return candidate, replace(report, detected_layout=f"{how}, {shape}" if kind.params else how)
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
    `backward_propagation(output_error, learning_rate)`)."""
    target = entry.target
    backward = getattr(target, "backward", None) or getattr(target, PROPAGATION_METHODS[1], None)
    if not isinstance(target, type) or backward is None:
        return False
    try:
        names = list(inspect.signature(backward).parameters)
    except (TypeError, ValueError):
        return False
    return any(n in LR_NAMES for n in names[2:])
