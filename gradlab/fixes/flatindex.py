"""Candidate family "flat-index": a flat position's row and column both taken with `//` (or both with `%`), where
one of them is the other (`i + flat // k` and `j + flat // k`, where the column is `j + flat % k`).

A window's flat argmax is unravelled into a row, `flat // width`, and a column, `flat % width`; the same division
written twice gives both axes the row (misrouted: the gradient lands on the wrong column). Offered for a statement
whose value divides (or takes the remainder of) a name bound from an `argmax` or `argmin` by a divisor, when another
statement of the same function computes exactly the same `flat // k`: the operator swapped in this statement, one
candidate each.
Non-goal: a flat index unravelled by `divmod` or `np.unravel_index` (the unravel family), a width written wrong.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import written_value

__all__ = ["flat_index_edits"]

FAMILY = "flat-index"
_SPLITS = (ast.FloorDiv, ast.Mod)


def flat_index_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    flat = _positions(func)
    mine = [n for n in ast.walk(value) if _split(n) and t.of(n.left) in flat]  # type: ignore[attr-defined]
    if not mine:
        return
    others = {_key(t, n) for s in ast.walk(func) if isinstance(s, (ast.Assign, ast.AugAssign)) and s is not stmt
              for n in ast.walk(s.value) if _split(n)}
    for node in mine:
        if _key(t, node) not in others:
            continue
        assert isinstance(node, ast.BinOp)
        # the operator alone is replaced, between its operands as written (a divisor's parentheses stay)
        op, other = ("//", "%") if isinstance(node.op, ast.FloorDiv) else ("%", "//")
        gap = t.between(t.end(node.left), t.start(node.right))
        if gap.count(op) != 1:
            continue
        new = gap.replace(op, other)
        why = f"take {t.of(node.left)}{new}{t.of(node.right)}: {t.of(node)} is written for the other axis too"
        yield (Edit(t.end(node.left), t.start(node.right), new, why, FAMILY),)


def _positions(func: ast.FunctionDef) -> set[str]:
    """The names `func` binds to a flat position: an `argmax`, `argmin` (numpy's or an array's)."""
    return {target.id for n in ast.walk(func) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)
            for target in n.targets if isinstance(target, ast.Name) and
            (n.value.func.attr if isinstance(n.value.func, ast.Attribute) else
             n.value.func.id if isinstance(n.value.func, ast.Name) else "").startswith(("argm", "nanargm"))}


def _split(node: ast.AST) -> bool:
    """`name // k` or `name % k`: a flat position split by a width."""
    return isinstance(node, ast.BinOp) and isinstance(node.op, _SPLITS) and \
        isinstance(node.left, (ast.Name, ast.Attribute))


def _key(t: object, node: ast.AST) -> str:
    return t.of(node)  # type: ignore[attr-defined]
