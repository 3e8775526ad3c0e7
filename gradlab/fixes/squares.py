"""Candidate family "square": a square added or moved in a derivative.

The derivatives of tanh and sigmoid carry a square that is easy to drop or misplace: `1 - g` where
`1 - g ** 2` belongs, `(1 - np.tanh(x)) ** 2` where `1 - np.tanh(x) ** 2` belongs, and a quotient's
denominator left unsquared (`np.exp(-x) / (1 + np.exp(-x))` for sigmoid's `... / (1 + np.exp(-x)) ** 2`).
Non-goal: other powers (a cube is no slip of these formulas).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text, needed_at, parents_of, precedence, value_family

__all__ = ["square_edits"]


@value_family
def square_edits(value: ast.expr, ctx: Context, t: Text) -> Iterator[tuple[Edit, ...]]:
    parents = parents_of(value)
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp):
            continue
        need = needed_at(node, parents.get(id(node)))
        if _one_minus(node) and not _squared(node.right):  # 1 - g -> 1 - g ** 2
            yield (t.replace(node.right, f"{_base(t, node.right)} ** 2", 13, f"square {t.of(node.right)}",
                             family="square", need=needed_at(node.right, node)),)
        if isinstance(node.op, ast.Pow) and _squared(node) and isinstance(node.left, ast.BinOp) and \
                _one_minus(node.left):  # (1 - t) ** 2 -> 1 - t ** 2
            inner = node.left
            yield (t.replace(node, f"{t.of(inner.left)} - {_base(t, inner.right)} ** 2", 10,
                             f"square {t.of(inner.right)} alone, not the difference", family="square", need=need),)
        if isinstance(node.op, ast.Div) and not _squared(node.right) and not isinstance(node.right, ast.Constant):
            yield (t.replace(node.right, f"{_base(t, node.right)} ** 2", 13, f"square the denominator "
                             f"{t.of(node.right)}", family="square", need=needed_at(node.right, node)),)


def _one_minus(node: ast.BinOp) -> bool:
    return isinstance(node.op, ast.Sub) and isinstance(node.left, ast.Constant) and node.left.value == 1


def _squared(node: ast.AST) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) \
        and node.right.value == 2


def _base(t: object, node: ast.AST) -> str:
    text = t.of(node)  # type: ignore[attr-defined]
    return text if precedence(node) == ATOM else f"({text})"
