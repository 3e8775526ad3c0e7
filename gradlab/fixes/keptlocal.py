"""Candidate family "kept-local": an attribute kept for backward under the name of a local the forward computed, bound
to something else (a label-smoothing loss building its smoothed targets `q` and keeping `self.q = np.eye(C)[t]`, the
hard one-hot, where `self.q = q` belongs).

A forward that computes a value into a local and stores an attribute of the same name meant to keep that value for
backward; storing another expression under that name hands backward the wrong array (wrong-input). Offered for an
assignment `self.NAME = value` in a forward, where the forward binds the local NAME before it and the value is not
NAME itself: the value replaced by NAME, one candidate.
Non-goal: attributes named otherwise than the local (which local was meant is not written anywhere).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["kept_local_edits"]

FAMILY = "kept-local"


def kept_local_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if "forward" not in func.name or not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
        return
    target = stmt.targets[0]
    if not (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"):
        return
    name = target.attr
    if isinstance(stmt.value, ast.Name) and stmt.value.id == name:
        return
    bound = any(isinstance(n, ast.Assign) and n.lineno < stmt.lineno and
                any(isinstance(tg, ast.Name) and tg.id == name for tg in n.targets) for n in ast.walk(func))
    if bound:
        yield (ctx.text.replace(stmt.value, name, 20, f"keep {name}, the value forward computed, as self.{name}",
                                family=FAMILY, need=0),)
