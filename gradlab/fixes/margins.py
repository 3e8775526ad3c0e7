"""Candidate family "margin": a loss term that is a difference of two scores, whose gradient is written for the first
score only (CS231n's naive SVM: `margin = scores[j] - correct_class_score + 1`, then `dW[:, j] += X[i]` without
`dW[:, y[i]] -= X[i]`).

A term `s[a] - s[b]` added to the loss sends the gradient to both scores, with opposite signs. Offered for an
`+=` (or `-=`) into an element of a gradient, indexed by `a`, in a block that adds to the loss a name bound to such
a difference (the second score read directly, `s[b]`, or through a name bound to it): a line after it writing the
opposite into the same gradient at `b` (`a` replaced by `b` in its index), unless the function writes that already.
Non-goal: differences of other arrays, a term whose second score is not an element of the first's array.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text

__all__ = ["margin_edits"]

FAMILY = "margin"


def margin_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.AugAssign) or not isinstance(stmt.op, (ast.Add, ast.Sub)) or \
            not isinstance(stmt.target, ast.Subscript) or not is_gradient(ctx.text.of(stmt.target.value)):
        return
    t = ctx.text
    binds = {n.targets[0].id: n.value for n in ast.walk(func) if isinstance(n, ast.Assign) and len(n.targets) == 1
             and isinstance(n.targets[0], ast.Name)}
    index = t.of(stmt.target.slice)
    for first, second in _differences(binds, t):
        a, b = t.of(first.slice), t.of(second.slice)
        if a == b or a not in _entries(stmt.target.slice, t):
            continue
        moved = ", ".join(b if e == a else e for e in _entries(stmt.target.slice, t))
        new_target = f"{t.of(stmt.target.value)}[{moved}]"
        if new_target.replace(" ", "") in t.text.replace(" ", "") or moved == index:
            continue
        op = "-=" if isinstance(stmt.op, ast.Add) else "+="
        line = (stmt.end_lineno or stmt.lineno) + 1
        yield (Edit((line, 0), (line, 0), f"{t.indent(stmt.lineno)}{new_target} {op} {t.of(stmt.value)}\n",
                    f"send the gradient to the score {t.of(second)} the term subtracts too", FAMILY),)


def _differences(binds: dict[str, ast.expr], t: Text) -> list[tuple[ast.Subscript, ast.Subscript]]:
    """(first, second) of each bound `s[a] - s[b] (+ c)`, `s[b]` written directly or as a name bound to it."""
    out: list[tuple[ast.Subscript, ast.Subscript]] = []
    for value in binds.values():
        node = value.left if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) else value
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub)):
            continue
        first, second = node.left, node.right
        if isinstance(second, ast.Name) and second.id in binds:
            second = binds[second.id]
        if isinstance(first, ast.Subscript) and isinstance(second, ast.Subscript) and \
                t.of(first.value) == t.of(second.value):
            out.append((first, second))
    return out


def _entries(index: ast.expr, t: Text) -> list[str]:
    return [t.of(e) for e in index.elts] if isinstance(index, ast.Tuple) else [t.of(index)]
