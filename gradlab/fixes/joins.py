"""Candidate family "join-axis": blocks joined along the wrong axis (`np.concatenate([daz, dar, dan], axis=0)` where
a GRU's gate gradients sit side by side, axis 1): the product that reads the joined array then crashes on its
shape, or the blocks land on the wrong rows.

Offered for a call of numpy's `concatenate` or `stack` with a literal axis (a keyword or the second argument):
that axis replaced by each of 0, 1 and -1; and `hstack` and `vstack` swapped for each other. A few candidates a
join, verified like every candidate.
Non-goal: the blocks' order (`gradlab.fixes.swaps`), joins whose axis is computed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import written_value

__all__ = ["join_edits"]

FAMILY = "join-axis"
_AXES = ("0", "1", "-1")
_SWAPPED = {"hstack": "vstack", "vstack": "hstack"}


def join_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    for node in ast.walk(value):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and
                isinstance(node.func.value, ast.Name) and node.func.value.id == ctx.numpy):
            continue
        name = node.func.attr
        if name in _SWAPPED and len(node.args) == 1:
            end = t.end(node.func)
            yield (Edit((end[0], end[1] - len(name)), end, _SWAPPED[name],
                        f"join the blocks with {_SWAPPED[name]}, not {name}", FAMILY),)
        if name not in ("concatenate", "stack"):
            continue
        axis = next((k.value for k in node.keywords if k.arg == "axis"), node.args[1] if len(node.args) > 1 else None)
        if axis is None or not (isinstance(axis, ast.Constant) and type(axis.value) is int or
                                isinstance(axis, ast.UnaryOp) and isinstance(axis.operand, ast.Constant)):
            continue
        for new in _AXES:
            if new != t.of(axis):
                yield (Edit(t.start(axis), t.end(axis), new, f"join the blocks along axis {new}", FAMILY),)
