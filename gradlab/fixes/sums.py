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
        for axis in ctx.missing_sums:
            new = f"{t.atom(value)}.sum(axis={axis})"
            yield (t.replace(value, new, ATOM, f"sum over axis {axis}, which the gradient's shape has too many",
                             family="sum", need=0),)
