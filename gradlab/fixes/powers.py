"""Candidate family "power": the power rule's factor left out of a derivative.

The derivative of `k * x ** 3` is `3 * k * x ** 2`; a backward that lowers the power and forgets to bring it down
(`c * (1 + 0.044715 * x ** 2)` for GELU's tanh form, whose forward has `0.044715 * x ** 3`) is wrong by a term. Offered
for a power `v ** p` (p a whole number) in a statement, with its coefficient where it has one (`k * v ** p`), when
another function of the file raises the same `v` to `p + 1` with the same coefficient: the factor `p + 1` put in front.
Non-goal: derivatives of other functions (the chain and term families), powers that are not literal numbers.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, needed_at, parents_of

__all__ = ["power_edits"]


def power_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)) or stmt.value is None:
        return
    t = ctx.text
    elsewhere = _powers(t.text, func.lineno)
    parents = parents_of(stmt.value)
    for node in ast.walk(stmt.value):
        p = _whole_power(node)
        if p is None:
            continue
        base = t.of(node.left)  # type: ignore[attr-defined]
        parent = parents.get(id(node))
        coefficient = t.of(parent.left) if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult) and \
            parent.right is node and isinstance(parent.left, ast.Constant) else ""
        if (base, p + 1, coefficient) not in elsewhere:
            continue
        whole: ast.AST = parent if coefficient and parent is not None else node
        new = f"{p + 1} * {t.of(whole)}"
        yield (t.replace(whole, new, 11, f"bring the power {p + 1} down in front (the power rule)", family="power",
                         need=needed_at(whole, parents.get(id(whole)))),)


def _whole_power(node: ast.AST) -> int | None:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and \
            type(node.right.value) is int and node.right.value >= 1:
        return node.right.value
    return None


@functools.lru_cache(maxsize=16)
def _powers(text: str, here: int) -> frozenset[tuple[str, int, str]]:
    """(base, power, coefficient or "") of each whole power in the file's functions other than the one at line
    `here`."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return frozenset()
    t = Text(text)
    out: set[tuple[str, int, str]] = set()
    for f in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.lineno != here):
        parents = parents_of(f)
        for node in ast.walk(f):
            p = _whole_power(node)
            if p is None:
                continue
            parent = parents.get(id(node))
            base = t.of(node.left)  # type: ignore[attr-defined]
            out.add((base, p, ""))
            if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult) and parent.right is node and \
                    isinstance(parent.left, ast.Constant):
                out.add((base, p, t.of(parent.left)))
    return frozenset(out)
