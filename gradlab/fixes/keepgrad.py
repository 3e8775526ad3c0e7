"""Candidate family "keep-gradient": a gradient a class's backward computes into a local name and never keeps where
the check (and the model around the layer) reads it (`dh` of a stateful time layer, computed through the loop and
never written to `self.dh`; `dx` kept nowhere by a layer whose caller reads `self.dx`).

Offered for a class's backward, for each gradient the check found never computed (an attribute it reads left unset,
or None) whose name the backward binds as a local (`dh`): a line `self.dh = dh` before the backward's last
`return` (or at its end), one candidate a name.
Non-goal: a gradient never computed at all (a formula to write), one kept under another name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["keep_gradient_edits"]

FAMILY = "keep-gradient"


def keep_gradient_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not ctx.in_class or not func.body or stmt is not func.body[-1]:  # once a function, at its last statement
        return
    t = ctx.text
    locals_ = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    kept = {n.attr for n in ast.walk(func) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    for name in ctx.failing:
        if not name.isidentifier() or name not in locals_ or name in kept:
            continue
        line = stmt.lineno if isinstance(stmt, ast.Return) else stmt.end_lineno + 1  # type: ignore[operator]
        indent = t.indent(func.body[0].lineno)
        yield (Edit((line, 0), (line, 0), f"{indent}self.{name} = {name}\n",
                    f"keep {name} in self.{name}, where it is read", FAMILY),)
