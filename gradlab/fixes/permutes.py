"""Candidate family "transpose", for an axis permutation written out (`dout.transpose(1, 0, 2)`, `np.transpose(a,
(0, 2, 1))`, `a.swapaxes(0, 1)`) where the array's own order belongs: a time layer's gradient turned time-major
before the reshape that flattens it batch-major (misrouted, or transposed), a convolution's gradient permuted
twice. The permutation removed, the array left as it was. One candidate a permutation.
Non-goal: `.T` (the expression family adds and removes it), another permutation in its place.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import needed_at, parents_of, precedence, written_value

__all__ = ["permute_edits"]

_METHODS = ("transpose", "swapaxes")


def permute_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    parents = parents_of(value)
    for node in ast.walk(value):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or \
                node.func.attr not in _METHODS:
            continue
        module = isinstance(node.func.value, ast.Name) and node.func.value.id == ctx.numpy
        array = node.args[0] if module and len(node.args) >= 2 else node.func.value if not module and node.args \
            else None
        if array is None:
            continue
        yield (t.replace(node, t.of(array), precedence(array), f"keep {t.of(array)} in its own order: no "
                         f"{node.func.attr}", family="transpose", need=needed_at(node, parents.get(id(node)))),)
