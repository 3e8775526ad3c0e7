"""Candidate family "sum": a reduction left out, put back over the axis the measured shapes name.

A gradient with one axis too many (`da = hs * dc[:, None, :]`, (N, T, H) where a weight per step and sample, (N, T),
belongs; `db = dout`, (N, M) where (M,) belongs) is the product of the chain rule before the sum over the axis its
parameter is shared along. The check measured both shapes: the axis whose removal turns the shape returned into the
right one is the axis to sum (`Context.missing_sums`), so the family offers `(value).sum(axis=k)` on the statements
that write a gradient, for that axis alone, a few candidates per layer, and none where no shape says so.
Non-goal: a reduction over the wrong axis (the axis edits of `gradlab.fixes.expressions`), or a gradient whose
shape differs otherwise (transposed, flattened).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM

__all__ = ["missing_axes", "sum_edits"]


def missing_axes(shape: tuple[int, ...], returned: tuple[int, ...]) -> list[int]:
    """The axes of `returned` whose removal gives `shape` (one axis more in `returned`), as numbers from 0."""
    if len(returned) != len(shape) + 1:
        return []
    return [k for k in range(len(returned)) if returned[:k] + returned[k + 1:] == shape]


def sum_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not ctx.missing_sums:
        return
    t = ctx.text
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and is_gradient(t.of(stmt.targets[0])):
        values = [stmt.value]
    elif isinstance(stmt, ast.Return) and stmt.value is not None:
        values = list(stmt.value.elts) if isinstance(stmt.value, ast.Tuple) else [stmt.value]
    else:
        return
    for value in values:
        if isinstance(value, (ast.Constant, ast.Tuple)):
            continue
        yield from _reduction_widened(value, ctx)
        for axis in ctx.missing_sums:
            new = f"{t.atom(value)}.sum(axis={axis})"
            yield (t.replace(value, new, ATOM, f"sum over axis {axis}, which the gradient's shape has too many",
                             family="sum", need=0),)


def _reduction_widened(value: ast.expr, ctx: Context) -> Iterator[tuple[Edit, ...]]:
    """A value that is a reduction already, edited where it leaves the axis in: its `keepdims=True` dropped (the kept
    axis of length 1 is the one too many), or its tuple of axes given the one it missed (`axis=(0, 2)` whose returned
    axis 1 is the input's axis 3: `axis=(0, 2, 3)`). Before a second `.sum` written after it."""
    t = ctx.text
    if not isinstance(value, ast.Call) or _callee(value) not in ("sum", "mean"):
        return
    keep = next((k for k in value.keywords if k.arg == "keepdims"), None)
    axis = next((k for k in value.keywords if k.arg == "axis"), None)
    if keep is not None:
        items: list[ast.AST] = [*value.args, *value.keywords]
        at = items.index(keep)
        start = t.end(items[at - 1]) if at > 0 else t.start(keep)
        yield (Edit(start, t.end(keep), "", "do not keep the reduced axis", "sum"),)
        return
    if axis is None:
        return
    elts = axis.value.elts if isinstance(axis.value, ast.Tuple) else [axis.value]
    reduced = [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, int) and e.value >= 0]
    if len(reduced) != len(elts):
        return
    for k in ctx.missing_sums:
        kept = [a for a in range(k + len(reduced) + 1) if a not in reduced]
        if k < len(kept):
            new = sorted({*reduced, kept[k]})
            yield (Edit(t.start(axis.value), t.end(axis.value), f"({', '.join(map(str, new))})",
                        f"reduce over axis {kept[k]} too", "sum"),)


def _callee(call: ast.Call) -> str:
    return call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) \
        else ""
