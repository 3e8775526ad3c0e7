"""Candidate family "leak": a gradient zeroed where the layer's setting scales it (a leaky ReLU's slope).

Written as the ReLU's backward where the layer keeps a slope for the negative side: `dx[x <= 0] = 0` where
`dx[x <= 0] *= alpha` belongs, `np.where(x > 0, dout, 0)` where `np.where(x > 0, dout, alpha * dout)` belongs,
`dout * (x > 0)` where `dout * np.where(x > 0, 1, alpha)` belongs. Offered only with a scalar setting the layer
keeps (`self.alpha`, `slope`), each in its place.
Non-goal: settings that enter otherwise (an ELU's `alpha * exp(x)`: the check rejects the edit).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, needed_at, parents_of, written_value

__all__ = ["leak_edits"]


def leak_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not ctx.hypers:
        return
    t = ctx.text
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Subscript) and \
            _zero(stmt.value) and is_gradient(t.of(stmt.targets[0].value)):
        for h in ctx.hypers:  # `dx[mask] = 0` -> `dx[mask] *= h`
            yield (Edit(t.end(stmt.targets[0]), t.end(stmt.value), f" *= {h}",
                        f"scale the gradient by {h} there, do not zero it", "leak"),)
    value = written_value(stmt)
    if value is None:
        return
    parents = parents_of(value)
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and t.of(node.func).split(".")[-1] == "where" and len(node.args) == 3:
            cond, a, b = node.args
            for zero, other in ((b, a), (a, b)):  # `np.where(c, g, 0)`: the zero side gets h * g
                if _zero(zero) and not _zero(other):
                    for h in ctx.hypers:
                        yield (t.replace(zero, f"{h} * {t.atom(other)}", 11, f"{h} * {t.of(other)} where it is zero",
                                         family="leak", need=needed_at(zero, node)),)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            for side in (node.left, node.right):  # `dout * (x > 0)`: 1 where it holds, h elsewhere
                if isinstance(side, ast.Compare):
                    for h in ctx.hypers:
                        yield (t.replace(side, f"{ctx.numpy}.where({t.of(side)}, 1, {h})", ATOM,
                                         f"{h} where {t.of(side)} fails, not 0", family="leak",
                                         need=needed_at(side, parents.get(id(side)))),)


def _zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and not isinstance(node.value, bool) and node.value == 0
