"""Candidate families "unreduce" and "complement": a reduction removed, a probability's complement swapped; and a
reduction moved to another axis together with its `keepdims` ("axis").

A reduction over an axis or `keepdims` (which the expression family leaves alone, it removes one-argument calls
only) removed whole: `np.sum(dout, axis=0) * slope` where an elementwise layer's `dout * slope` belongs. And a
divisor or factor written as its complement: `/ (1 - p)` where forward divided by `p`, `* p` for `* (1 - p)`,
for a setting the layer keeps (`p`, `self.rate`, `dropout_param["p"]`).
A reduction written for the other layout moves its axis and its `keepdims` at once: `(dout * xhat).sum(axis=1,
keepdims=True)` where a parameter's `sum(axis=0)` belongs (the axis alone leaves a (1, D) gradient, the keepdims
alone an (N,) one: neither edit of the expression family passes), and `g.sum(axis=0)` where a per-sample
statistic's `g.sum(axis=1, keepdims=True)` belongs.
Non-goal: other settings' arithmetic (the factor family of `gradlab.fixes.statements`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, needed_at, parents_of, precedence, value_family

__all__ = ["complement_edits", "moved_axis_edits", "unreduce_edits"]

_REDUCTIONS = {"sum", "mean"}
#: the axes a moved reduction is offered (those of the expression family's axis edits)
_AXES = ("0", "1", "-1", "(0, 2, 3)")


@value_family
def unreduce_edits(value: ast.expr, ctx: Context, t: Text) -> Iterator[tuple[Edit, ...]]:
    parents = parents_of(value)
    for node in ast.walk(value):
        if not isinstance(node, ast.Call) or not node.keywords or not isinstance(node.func, ast.Attribute) or \
                node.func.attr not in _REDUCTIONS:
            continue
        # `np.sum(a, axis=0)` reduces its argument, `a.sum(axis=0)` the object it is called on
        owner = node.func.value
        module = isinstance(owner, ast.Name) and owner.id == ctx.numpy
        array = node.args[0] if module and node.args else owner if not module and not node.args else None
        if array is not None:
            yield (t.replace(node, t.of(array), precedence(array), f"do not reduce {t.of(array)}", family="unreduce",
                             need=needed_at(node, parents.get(id(node)))),)


@value_family
def complement_edits(value: ast.expr, ctx: Context, t: Text) -> Iterator[tuple[Edit, ...]]:
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Mult, ast.Div)):
            continue
        side = node.right
        inner = side.right if isinstance(side, ast.BinOp) and isinstance(side.op, ast.Sub) and \
            isinstance(side.left, ast.Constant) and side.left.value == 1 else None
        if inner is not None and (t.of(inner) in ctx.hypers or _setting_item(inner)):  # / (1 - p) -> / p
            yield (t.replace(side, t.of(inner), precedence(inner), f"use {t.of(inner)}, not its complement",
                             family="complement", need=needed_at(side, node)),)
        elif t.of(side) in ctx.hypers:  # / p -> / (1 - p)
            yield (t.replace(side, f"1 - {t.of(side)}", 10, f"use the complement 1 - {t.of(side)}",
                             family="complement", need=needed_at(side, node)),)


def _setting_item(node: ast.expr) -> bool:
    """An item of a settings dictionary (`dropout_param["p"]`): a scalar setting wherever it was read."""
    return isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
        isinstance(node.slice.value, str)


@value_family
def moved_axis_edits(value: ast.expr, ctx: Context, t: Text) -> Iterator[tuple[Edit, ...]]:
    for node in ast.walk(value):
        if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Attribute, ast.Name)):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        axis = next((k for k in node.keywords if k.arg == "axis"), None)
        if name not in _REDUCTIONS | {"max", "min"} or axis is None:
            continue
        keep = next((k for k in node.keywords if k.arg == "keepdims"), None)
        kept = keep is not None and isinstance(keep.value, ast.Constant) and keep.value.value is True
        for new in _AXES:
            if new == t.of(axis.value):
                continue
            moved = Edit(t.start(axis.value), t.end(axis.value), new, f"reduce over axis {new}", "axis")
            if kept and keep is not None:  # the keyword and the comma before it go (`, keepdims=True`)
                if node.keywords.index(keep) != node.keywords.index(axis) + 1:
                    continue
                yield (moved, Edit(t.end(axis), t.end(keep), "", f"reduce over axis {new}, not keeping it", "axis"))
            elif keep is None:
                yield (moved, Edit(t.end(axis), t.end(axis), ", keepdims=True",
                                   f"reduce over axis {new}, keeping it", "axis"))
