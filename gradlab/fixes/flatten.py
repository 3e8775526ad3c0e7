"""Candidate family "flatten": an input flattened to (N, -1) before it is transposed (`x.reshape(N, -1).T`),
where backward transposes the N-D input itself (`x.T` reverses every axis).

Offered in a function that reshapes somewhere (the sign that its input may have more than two axes), for each
`.T` of an array that is no gradient, the batch size as the code names it, else `x.shape[0]`.
Non-goal: layouts that keep the batch last (the course's columns convention flattens otherwise).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM

__all__ = ["flatten_edits"]


def flatten_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not any(isinstance(n, ast.Attribute) and n.attr == "reshape" for n in ast.walk(func)):
        return
    t = ctx.text
    for node in ast.walk(stmt):
        if isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.value, (ast.Name, ast.Attribute)) \
                and not is_gradient(t.of(node.value)):
            array = t.of(node.value)
            yield (t.replace(node, f"{array}.reshape({array}.shape[0], -1).T", ATOM,
                             f"flatten {array} to (N, -1) before transposing it", family="flatten"),)
