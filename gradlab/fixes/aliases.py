"""Candidate family "copy", through a second name: an argument bound to another name (`out = x`) and then written
into in place under it (`out[out < 0] = 0`), which writes into the caller's array.

`x[mask] = 0` on the argument itself is the statement family's copy; a name that is only another handle on the
same array hides the write. Offered for an assignment of an argument, as it is, to a name that a later statement of
the function writes into (an indexed assignment, or an augmented one): the argument copied there (`out = x.copy()`).
Non-goal: aliases made by views (`x[:, 0]`, `x.reshape(...)`: `gradlab.fixes.views`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM

__all__ = ["alias_edits"]


def alias_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name) or \
            not isinstance(stmt.value, ast.Name) or stmt.value.id not in {a.arg for a in func.args.args}:
        return
    name, t = stmt.targets[0].id, ctx.text
    if any(_writes_into(st, name) for st in statements_of(func) if st.lineno > stmt.lineno):
        yield (t.replace(stmt.value, f"{stmt.value.id}.copy()", ATOM,
                         f"copy {stmt.value.id}: {name} = {stmt.value.id} is the same array, written into below",
                         family="copy"),)


def _writes_into(stmt: ast.stmt, name: str) -> bool:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AugAssign) else []
    return any(isinstance(tg, ast.Subscript) and isinstance(tg.value, ast.Name) and tg.value.id == name or
               isinstance(stmt, ast.AugAssign) and isinstance(tg, ast.Name) and tg.id == name for tg in targets)
