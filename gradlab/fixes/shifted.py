"""Candidate family "shift" where the scores are bound: a softmax whose exp overflows, its maximum subtracted from the
name exp is given, where that name is bound.

The shift inside the call (`np.exp(x - np.max(x, ...))`, `gradlab.fixes.expressions`) is the fix only where exp's
result is normalised by its own sum; a log-softmax written `shifted - np.log(np.sum(np.exp(shifted), ...))` reads
the same name outside exp too, and is right only with the maximum subtracted where `shifted` is bound (`shifted = x`,
`scores = X.dot(W)`). Offered for an assignment of one name that a later call of exp in the same function is given
as it is: the value less its maximum over axis 1 and over axis 0 (rows or columns of samples), and over the whole
array (one sample's scores, CS231n's naive loop), three candidates per such name. The shift changes no output where
exp is finite, so it is verified as any fix of a forward bug is, the check's inputs beyond exp's overflow included.
Non-goal: a value already shifted (one that calls max), and exp given an expression of the name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence

__all__ = ["bound_shift_edits"]


def bound_shift_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    name, t, np_ = stmt.targets[0].id, ctx.text, ctx.numpy
    value = t.of(stmt.value)
    later = [n for n in ast.walk(func) if getattr(n, "lineno", 0) > stmt.lineno]
    if "max" in value or not any(_exp_of(n, name, np_) for n in later):
        return
    # `a - b` is read as it should only where the value binds at least as tight as the minus
    first = value if precedence(stmt.value) >= 10 else f"({value})"
    for axis in (", axis=1, keepdims=True", ", axis=0, keepdims=True", ""):
        new = f"{first} - {np_}.max({value}{axis})"
        yield (Edit(t.start(stmt.value), t.end(stmt.value), new,
                    f"subtract the maximum from {name}, so that exp cannot overflow", "shift"),)


def _exp_of(node: ast.AST, name: str, np_: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "exp" and \
        isinstance(node.func.value, ast.Name) and node.func.value.id == np_ and len(node.args) == 1 and \
        isinstance(node.args[0], ast.Name) and node.args[0].id == name
