"""Candidate edits of a whole layer ("axis"): the statistics it keeps for broadcasting moved to another axis, in
forward and backward at once.

A normalisation or a softmax over the wrong axis is written so in every function: forward's `x.mean(axis=0,
keepdims=True)` and `x.var(axis=0, keepdims=True)`, and backward's `g.sum(axis=0, keepdims=True)` that undoes
them. Moving one function's reductions (`gradlab.fixes.expressions.every_axis`) leaves the other wrong. The
reductions that keep their axis (`keepdims=True`) are the statistics broadcast back over the input; those that
do not are a parameter's gradient summed over the batch (`dgamma = (dout * xhat).sum(axis=0)`), which stay.
Reductions written without `keepdims` broadcast back only when they reduce the batch's axis (`x - x.max(axis=0)`):
moved together to another axis, they keep it (`x.max(axis=1, keepdims=True)`).
Offered when such reductions over one axis are in two functions or more, on at most three lines.
An axis the function receives as an argument is left to its callers.
Non-goal: a statistic indexed with `[:, None]` afterwards (its index would have to go too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.rebuild import Edit
from gradlab.fixes.source import Site
from gradlab.fixes.spans import Text

__all__ = ["kept_axis_edits"]

_AXES = ("0", "1", "-1", "(0, 2, 3)")
_REDUCTIONS = {"sum", "mean", "max", "min", "var", "std"}
#: the most lines one candidate changes
MAX_LINES = 3


def kept_axis_edits(site: Site) -> Iterator[tuple[Edit, ...]]:
    t = Text(site.text)
    groups: dict[tuple[str, bool], list[tuple[int, ast.keyword]]] = {}
    for order, scope in enumerate(site.scopes):
        # an axis a function receives (`def _over(y, axes, eps)`) is its callers' to choose: a constant in its place
        # would fit this layer and break the others that call it with theirs
        received = {a.arg for a in scope.node.args.args}
        for node in ast.walk(scope.node):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or \
                    node.func.attr not in _REDUCTIONS:
                continue
            axis = next((k for k in node.keywords if k.arg == "axis"), None)
            if axis is not None and isinstance(axis.value, ast.Name) and axis.value.id in received:
                continue
            keep = next((k for k in node.keywords if k.arg == "keepdims"), None)
            kept = keep is not None and isinstance(keep.value, ast.Constant) and keep.value.value is True
            if axis is not None and (kept or keep is None):
                groups.setdefault((t.of(axis.value), kept), []).append((order, axis))
    for (value, kept), found in groups.items():
        lines = {k.lineno for _, k in found}
        if len({order for order, _ in found}) < 2 or len(lines) > MAX_LINES:
            continue
        for new in _AXES:
            if new == value:
                continue
            why = f"keep the statistics over axis {new} where {value} is, in forward and backward"
            moved = [Edit(t.start(k.value), t.end(k.value), new, why, "axis") for _, k in found]
            # reductions that do not keep their axis broadcast back only over the batch's: moved, they keep it
            kept_too = [] if kept else [Edit(t.end(k), t.end(k), ", keepdims=True", why, "axis") for _, k in found]
            yield (*moved, *kept_too)
