"""Candidate family "no-effect": a statement that computes a value and keeps nothing, where it was written to update
or assign an array (`self.dW[ids[k]] + dout[k]` where `+=` belongs, `dx == dout * mask` where `=` belongs).

A statement of its own whose value is an arithmetic operation or an equality test changes nothing: Python computes it
and throws it away. Where its left side is something that can be assigned (a name, an attribute, an element), the
line was meant as an update of it: `a + b` as `a += b` (likewise `-`, `*`, `/`), `a == b` as `a = b`. One candidate
a statement.
Non-goal: a call made for its result (`gradlab.fixes.unread`), an assignment to the wrong target.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["no_effect_edits"]

FAMILY = "no-effect"
_UPDATES = {ast.Add: "+=", ast.Sub: "-=", ast.Mult: "*=", ast.Div: "/="}


def no_effect_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, ast.Expr):
        return
    value = stmt.value
    t = ctx.text
    if isinstance(value, ast.BinOp) and type(value.op) in _UPDATES and _assignable(value.left):
        left, right, new = value.left, value.right, _UPDATES[type(value.op)]
    elif isinstance(value, ast.Compare) and len(value.ops) == 1 and isinstance(value.ops[0], ast.Eq) and \
            _assignable(value.left):
        left, right, new = value.left, value.comparators[0], "="
    else:
        return
    gap = t.between(t.end(left), t.start(right))
    if "#" in gap or "(" in gap or ")" in gap:  # the operator alone between them, no grouping to undo
        return
    yield (Edit(t.end(left), t.start(right), f" {new} ", f"update {t.of(left)} with {new}: the value computed is "
                "thrown away", FAMILY),)


def _assignable(node: ast.expr) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute, ast.Subscript))
