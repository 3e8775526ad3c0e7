"""A file's layers share one layout: one that failed on rows by mixing samples alone, in a file whose other layers
take samples as columns, is checked as columns too.

The column layout is found layer by layer, from a crash on rows (`gradlab.cases.other_layouts.in_columns`): a
`W @ X` Linear crashes on rows. A softmax or a batch norm written for columns does not crash there: it normalises
over axis 0, the batch axis of rows, and fails `couples-samples`, which in a file of row layers is its bug. Where
another layer of the same file was found to take columns, the file is written for columns, and such a layer is
checked so; its report says that the file's other layers told. A layer alone in its file tells by itself when every
parameter gradient it returns is a column `(rows, 1)` for a parameter of one axis: summed over axis 1 with keepdims,
as the column layout's parameters (gamma `(D, 1)`) are; one of them may be that sum without keepdims, `(rows,)`.
A loss alone tells by its code: the number of samples read from axis 1 and divided by (`m = Y.shape[1]`).
Non-goal: a file checked one layer at a time (`--only`), which has no other layers to tell, and the grader, which
checks each layer in its own child process.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import replace

from gradlab.conventions.registry import Entry
from gradlab.core.results import FAIL, LayerReport

__all__ = ["same_file_layout"]

#: what a layer written for columns shows on rows where it does not crash: its statistics over the wrong axis, and
#: then parameter gradients reduced over it
COLUMN_SIGNS = frozenset({"couples-samples", "wrong-reduction", "wrong-shape", "transposed"})
#: how a report says where its layout came from
FROM_THE_FILE = "columns, as the other layers of its file"
#: and where the layer's own parameter gradients told
ITS_OWN = "columns, as its parameter gradients (sums over axis 1, kept as columns)"
#: and where its code counts the samples along axis 1
COUNTS_COLUMNS = "columns, as its code counts the samples along axis 1 (m = Y.shape[1], divided by)"


def same_file_layout(entries: Sequence[Entry], reports: Sequence[LayerReport],
                     check: Callable[[Entry], LayerReport]) -> list[LayerReport]:
    """`reports`, each of a layer that failed on rows by mixing samples in a file whose other layers were found to
    take columns replaced by its check as columns, where that check ran (did not crash)."""
    columns = {e.source: r.detected_layout for e, r in zip(entries, reports)
               if (r.detected_layout or "").startswith("columns") and e.options.get("layout") is None}
    # and a layer named as a column course names it (deeplearning.ai's `linear_backward`, W (out, in))
    columns.update({e.source: f"columns, W {'(out, in)' if e.options.get('weights') == 'out_in' else '(in, out)'}"
                    for e in entries if e.options.get("layout") == "columns" and e.source not in columns})
    out = []
    for entry, report in zip(entries, reports):
        layout = columns.get(entry.source) or (ITS_OWN if _columns_of_its_own(report) else None) or \
            (COUNTS_COLUMNS if "couples-samples" in report.bug_codes and _counts_along_axis_1(entry) else None)
        if layout and report.verdict == FAIL and "couples-samples" in report.bug_codes and \
                set(report.bug_codes) <= COLUMN_SIGNS and not {"layout", "samples"} & set(entry.options):
            weights = "in_out" if "W (in, out)" in layout else "out_in"
            again = _checked(check, replace(entry, options={**entry.options, "layout": "columns", "weights": weights}))
            if again is not None:
                own = layout in (ITS_OWN, COUNTS_COLUMNS)
                report = replace(again, detected_layout=layout if own else FROM_THE_FILE)
        out.append(report)
    return out


def _columns_of_its_own(report: LayerReport) -> bool:
    """Whether a layer alone in its file says it takes columns: it mixed samples on rows, and every parameter
    gradient came back a column `(rows, 1)` for a parameter of one axis, the sum over axis 1 with keepdims that a
    column layout's `dgamma = np.sum(dout * xhat, axis=1, keepdims=True)` is (a batch norm whose gamma is (D, 1))."""
    params = [g for g in (report.failing.gradients if report.failing else ()) if len(g.shape) == 1]  # dx: 2-D
    shapes = [g.analytic_shape for g in params]
    if "couples-samples" not in report.bug_codes or not shapes or any(s is None for s in shapes):
        return False
    rows = shapes[0][0]  # type: ignore[index]
    # one of them flat, (rows,), is the same sum without keepdims: that gradient's own bug, in the column layout
    return any(len(s) == 2 for s in shapes if s is not None) and all(
        s is not None and s[0] == rows != g.shape[0] and s[1:] in ((1,), ()) for g, s in zip(params, shapes))


def _counts_along_axis_1(entry: Entry) -> bool:
    """Whether the layer's code takes its number of samples from axis 1 and divides by it (`m = Y.shape[1]` ...
    `/ m`), as code written for samples as columns does (deeplearning.ai's cost functions): on rows, axis 1 holds
    the classes or features, which such code never names `m` and divides a batch's loss by."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(entry.target)))
    except (OSError, TypeError, SyntaxError):
        return False
    counts = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign) and _is_shape_1(node.value)
              for t in node.targets if isinstance(t, ast.Name)}
    return any(isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and (
        isinstance(node.right, ast.Name) and node.right.id in counts or _is_shape_1(node.right))
        for node in ast.walk(tree))


def _is_shape_1(node: ast.expr) -> bool:
    """`<array>.shape[1]`."""
    return isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and \
        node.value.attr == "shape" and isinstance(node.slice, ast.Constant) and node.slice.value == 1


def _checked(check: Callable[[Entry], LayerReport], entry: Entry) -> LayerReport | None:
    try:
        report = check(entry)
    except Exception:  # noqa: BLE001 - the rows report stands; this was only a second opinion
        return None
    return None if report.error is not None or "crashed" in report.bug_codes else report
