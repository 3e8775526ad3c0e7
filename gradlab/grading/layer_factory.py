"""How the grader builds the student's layer for each case: a proxy of it in the sandbox.

The proxy (`RemoteLayer`) runs forward and backward in the sandbox's child. A layer written for samples as columns
is seen through `ColumnsLayer` in gradlab's row layout, unless its own course convention already fixes its layout
(the child's adapter turns it around). Each layer made is remembered: its first output is the forward graded.
Non-goal: checking what the proxy returns (`gradlab.grading.grader`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from gradlab.cases.runner import takes_optional_input
from gradlab.conventions.adapters import layout_hints, takes_indices
from gradlab.conventions.layouts import ColumnsLayer
from gradlab.conventions.layouts import hints as columns_hints
from gradlab.conventions.layouts import refusal as columns_refusal
from gradlab.conventions.registry import Entry
from gradlab.grading.assignment import Assignment
from gradlab.grading.grades import LayerGrade
from gradlab.grading.sandbox.process import Sandbox, SandboxFailure
from gradlab.grading.sandbox.remote_layer import RemoteLayer
from gradlab.kinds import Case, Kind


def _new_remote(made: list[RemoteLayer], box: Sandbox, name: str, kind: Kind, samples: str | None,
                case: Any) -> RemoteLayer:
    """A proxy of the student's layer `name`, remembered in `made` (its first output is graded)."""
    made.append(RemoteLayer(box, name, kind, case, samples=samples))
    return made[-1]


def layer_factory(box: Sandbox, entry: dict[str, Any], kind: Kind, assignment: Assignment, grade: LayerGrade, *,
                  samples: str | None = None) -> tuple[Callable[[list[Any]], Callable[[Case], Any]], bool]:
    """How the student's layer is built for each case (given the list that remembers what was made),
    and whether cases keep a flat 2-D input; sets the layer's note and hints. `samples`: the layer takes one
    sample at a time (`gradlab.cases.other_layouts`). The probe of a richer input may raise `SandboxFailure`."""
    # a layer whose course convention fixes its layout (deeplearning.ai's linear_*: samples as columns, W (out, in))
    # is turned around in the child by its own adapter already; turning it here too gave it rows again
    own = entry.get("layout") is not None
    if own:  # its hints are said in that convention, as `gradlab check` says them
        grade.hints = layout_hints(Entry(entry["name"], kind.name, entry["convention"], None, options={
            k: v for k in ("layout", "weights", "param_gradients") if isinstance(v := entry.get(k), str)}))
    columns = assignment.layout == "columns" and columns_refusal(kind) is None and not own
    if assignment.layout == "columns" and not columns and not own:
        grade.note = f"graded batch-first: the column layout is for 2-D data (features, N), and {kind.name} " \
                     "layers keep their samples first in every course"
    if columns:  # the student's layer takes samples as columns: gradlab's cases are turned around for it
        grade.hints = columns_hints(assignment.weight_layout)
        return (lambda made: partial(_new_columns, made, box, entry, kind, assignment.weight_layout)), True
    if own and entry.get("layout") == "columns":  # 2-D only, as `gradlab check` has it: nothing to probe or warn of
        return (lambda made: partial(_new_remote, made, box, entry["name"], kind, samples)), True
    flat = not takes_optional_input(kind, partial(_remote_layer, box, entry["name"], kind, samples),
                                    reraise=(SandboxFailure,))
    if flat and kind.optional_input is not None and kind.optional_input.note:
        # a warning, as `gradlab check` prints it: it reaches each test's extra_data too, and costs nothing
        grade.warnings.append(kind.optional_input.note.format(name=entry["name"], checked="graded"))
    return (lambda made: partial(_new_remote, made, box, entry["name"], kind, samples)), flat


def _new_columns(made: list[Any], box: Sandbox, entry: dict[str, Any], kind: Kind, weights: str,
                 case: Case) -> ColumnsLayer:
    """A proxy of the student's layer written for samples as columns, seen in gradlab's row layout."""
    layer = ColumnsLayer(lambda inner: RemoteLayer(box, entry["name"], kind, inner), kind, case, weights=weights,
                         index_labels=takes_indices(entry["convention"], not kind.is_loss, kind))
    made.append(layer)
    return layer


def _remote_layer(box: Sandbox, name: str, kind: Kind, samples: str | None, case: Any) -> RemoteLayer:
    return RemoteLayer(box, name, kind, case, samples=samples)


def remote_forward_backward(box: Sandbox, name: str, kind: Kind, case: Any, *,
                            samples: str | None = None) -> tuple[np.ndarray, dict[str, Any]]:
    """The student's layer `name` on `case`: its output, and its gradients for a seeded upstream gradient (what
    the probe of a parameter's form reads)."""
    layer = RemoteLayer(box, name, kind, case, samples=samples)
    y = layer.forward(case.x.copy(), None)
    _, grads = layer.backward(np.random.default_rng(0).standard_normal(np.shape(y)))
    return y, grads
