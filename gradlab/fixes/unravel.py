"""Candidate family "unravel": a window's flat argmax turned back into a row and a column by hand, with the wrong
width or in the wrong order (`r, s = k % ph, k // ph` where the window is `pw` wide), replaced by numpy's own
`np.unravel_index(k, window.shape)`.

Offered for a statement whose value is a pair of `k // a` and `k % b` (either order) or `divmod(k, a)`, where `k`
was bound from the argmax of an array (`np.argmax(window)`, `window.argmax()`, of its `.ravel()` or
`.reshape(-1)`): the shape read from that array as the code names it; and, for a pair of names, the same with
the names swapped (`col, row = divmod(k, pw)`: the row is unravelled first).
Non-goal: a max-pool's argmax over a batch at once (`argmax(axis=...)`: an index per row, another formula).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text

__all__ = ["unravel_edits"]

_FLATTENED = {"ravel", "flatten", "reshape"}


def unravel_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Tuple):
        return
    index = _divided(stmt.value)
    if index is None:
        return
    t = ctx.text
    binds = [n for n in ast.walk(func) if isinstance(n, ast.Assign) and n.lineno < stmt.lineno and
             len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and n.targets[0].id == index]
    if not binds:
        return
    array = _argmax_of(max(binds, key=lambda n: n.lineno).value, ctx.numpy)  # the binding the statement reads
    if array is None:
        return
    new = f"{ctx.numpy}.unravel_index({index}, {_shape(array, t)})"
    why = f"unravel {index} with the window's own shape"
    value = t.replace(stmt.value, new, ATOM, why, family="unravel", need=0)
    yield (value,)
    pair = stmt.targets[0].elts
    if len(pair) == 2 and all(isinstance(e, ast.Name) for e in pair):  # `col, row = ...`: the row comes first
        swapped = f"{t.of(pair[1])}, {t.of(pair[0])}"
        yield (Edit(t.start(pair[0]), t.end(pair[1]), swapped, why + ", row first", "unravel"), value)


def _divided(value: ast.expr) -> str | None:
    """The flat index `k` that `value` splits into a row and a column by hand (`k // a, k % a`, `divmod(k, a)`)."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "divmod" and \
            len(value.args) == 2 and isinstance(value.args[0], ast.Name):
        return value.args[0].id
    if not isinstance(value, ast.Tuple) or len(value.elts) != 2:
        return None
    ops = [(type(e.op), e.left.id) for e in value.elts
           if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.FloorDiv, ast.Mod)) and isinstance(e.left, ast.Name)]
    if len(ops) == 2 and {op for op, _ in ops} == {ast.FloorDiv, ast.Mod} and ops[0][1] == ops[1][1]:
        return ops[0][1]
    return None


def _argmax_of(value: ast.expr, numpy: str) -> ast.expr | None:
    """The array whose flat argmax `value` is (`np.argmax(w)`, `w.argmax()`), a flattening of it undone."""
    if not isinstance(value, ast.Call) or value.keywords or not isinstance(value.func, ast.Attribute) or \
            value.func.attr != "argmax":
        return None
    owner = value.func.value
    array = value.args[0] if isinstance(owner, ast.Name) and owner.id == numpy and len(value.args) == 1 else \
        owner if not value.args else None
    while isinstance(array, ast.Call) and isinstance(array.func, ast.Attribute) and array.func.attr in _FLATTENED:
        array = array.func.value
    return array


def _shape(array: ast.expr, t: Text) -> str:
    return f"{t.atom(array)}.shape"
