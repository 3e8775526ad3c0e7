"""Candidate family "target": a gradient a class's backward computes and keeps under another attribute than the one
it is read from (`self.dw = ...` where the check, and the optimizer, read `self.dW`).

Offered for an assignment of a class's backward to an attribute of `self` that nothing in the file reads, for each
gradient the check found never computed whose attribute that backward never writes: the target renamed to it
(`self.dW`), one candidate a gradient, at most MAX_NAMES.
Non-goal: a local where the attribute belongs (the target edit of `gradlab.fixes.statements`), a gradient written
into the wrong slot of a list (`gradlab.fixes.slots`).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_NAMES", "renamed_edits"]

#: gradients one attribute is offered renamed to, at most
MAX_NAMES = 3


def renamed_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not ctx.in_class or not isinstance(stmt, (ast.Assign, ast.AugAssign)):
        return
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else \
        stmt.target if isinstance(stmt, ast.AugAssign) else None
    if not isinstance(target, ast.Attribute) or not isinstance(target.value, ast.Name) or target.value.id != "self":
        return
    t = ctx.text
    read = _read(t.text)
    written = {n.attr for n in ast.walk(func) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    if target.attr in read:
        return
    names = [g for g in ctx.failing if g.isidentifier() and g not in written and g != target.attr][:MAX_NAMES]
    for name in names:
        yield (Edit(t.start(target), t.end(target), f"self.{name}",
                    f"keep it in self.{name}, where it is read, not in self.{target.attr}", "target"),)


@functools.lru_cache(maxsize=8)
def _read(text: str) -> frozenset[str]:
    """The attributes the file reads anywhere."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return frozenset()
    return frozenset(n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load))
