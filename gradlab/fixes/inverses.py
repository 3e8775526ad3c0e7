"""Candidate family "transpose", for an axis permutation written out with the wrong order (`dx.transpose(0, 3, 2, 1)`
where `(0, 3, 1, 2)` undoes the `(0, 2, 3, 1)` that made the array channels-last).

A layer that moves an axis to the end and back (a spatial batch norm's `x.transpose(0, 2, 3, 1)`, then
`.transpose(0, 3, 1, 2)`), or a time layer that puts time first, writes each permutation and its inverse; one of
them written wrong leaves a gradient of the wrong shape, or right in shape and misrouted. Offered for each
permutation of literal axes in a statement's value (`a.transpose(...)`, `np.transpose(a, (...))`): in its place, the
inverse of each permutation of as many axes the layer's code writes, and each such permutation itself, at most
MAX_ORDERS of them.
Non-goal: a permutation removed (`gradlab.fixes.permutes`), `.T`, an order the code never writes nor inverts.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, written_value

__all__ = ["MAX_ORDERS", "inverse_edits"]

#: orders offered in place of one permutation, at most
MAX_ORDERS = 4


def inverse_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    written = _written(t.text, ctx.numpy)
    for node in ast.walk(value):
        order, axes = _order(node, ctx)
        if order is None or axes is None or not isinstance(node, ast.Call):
            continue
        others = [o for p in written if len(p) == len(order)
                  for o in (tuple(p.index(i) for i in range(len(p))), p)]
        others = [o for o in dict.fromkeys(others) if o != order][:MAX_ORDERS]
        for other in others:
            new = ", ".join(map(str, other))
            if isinstance(axes, (ast.Tuple, ast.List)) and axes is not node:
                new = f"({new})" if isinstance(axes, ast.Tuple) else f"[{new}]"
            span = (t.start(axes), t.end(axes)) if axes is not node else (t.start(node.args[0]), t.end(node.args[-1]))
            yield (Edit(*span, new,
                        f"permute the axes as ({', '.join(map(str, other))}), the order the layer's other "
                        f"permutation undoes or makes", "transpose"),)


def _order(node: ast.AST, ctx: Context) -> tuple[tuple[int, ...] | None, ast.AST | None]:
    """The permutation a call writes out (`a.transpose(0, 2, 3, 1)`, `a.transpose((0, 2, 3, 1))`,
    `np.transpose(a, (0, 2, 1))`) and the node of its axes (the call itself where they are its arguments)."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or node.func.attr != "transpose":
        return None, None
    module = isinstance(node.func.value, ast.Name) and node.func.value.id == ctx.numpy
    args = node.args[1:] if module else node.args
    axes: ast.AST = node
    if len(args) == 1 and isinstance(args[0], (ast.Tuple, ast.List)):
        axes, args = args[0], list(args[0].elts)
    elif module:
        return None, None
    values = [a.value for a in args if isinstance(a, ast.Constant) and type(a.value) is int]
    if len(values) != len(args) or len(values) < 3 or sorted(values) != list(range(len(values))):
        return None, None
    return tuple(values), axes


@functools.lru_cache(maxsize=8)
def _written(text: str, numpy: str) -> tuple[tuple[int, ...], ...]:
    """Every permutation of literal axes the file writes."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ()
    ctx = Context(Text(text), numpy)
    return tuple(p for p in (_order(n, ctx)[0] for n in ast.walk(tree)) if p is not None)
