"""Candidate family "column": a vector made flat where the code goes on to use it as a column
(`s = s.flatten()` before `np.dot(s, s.T)`: the transpose of a 1-D array is the same array, and the outer product
s sᵀ of a softmax's Jacobian becomes the number s·s).

Offered for an assignment whose value flattens (`.flatten()`, `.ravel()`, `.reshape(-1)`) and whose name a later
statement of the function transposes (`name.T`): the value reshaped to a column instead (`.reshape(-1, 1)`).
Non-goal: rows (`(1, -1)`), vectors transposed under another name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["column_edits"]

_FLAT = {"flatten", "ravel"}


def column_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    value, name = stmt.value, stmt.targets[0].id
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute) or not _flattens(value):
        return
    later = [st for st in statements_of(func) if st.lineno > stmt.end_lineno]  # type: ignore[operator]
    if any(isinstance(n, ast.Attribute) and n.attr == "T" and isinstance(n.value, ast.Name) and n.value.id == name
           for st in later for n in ast.walk(st)):
        t = ctx.text
        start, end = t.end(value.func.value), t.end(value)
        yield (Edit(start, end, ".reshape(-1, 1)", f"make {name} a column: {name}.T below is meant to be a row",
                    "column"),)


def _flattens(call: ast.Call) -> bool:
    method = call.func.attr  # type: ignore[attr-defined]
    if method in _FLAT:
        return not call.args
    return method == "reshape" and len(call.args) == 1 and isinstance(call.args[0], ast.UnaryOp) and \
        isinstance(call.args[0].operand, ast.Constant) and call.args[0].operand.value == 1
