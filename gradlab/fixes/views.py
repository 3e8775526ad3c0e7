"""Candidate family "view": a copy dropped, so that a write into a part of the gradient reaches the gradient.

`dwin = dx[n, c, a:b, e:f].copy()` then `dwin += ...` adds into a new array that nothing reads: `dx` stays the
zeros it was made of. Without the copy, `dwin` is a view of `dx` (a slice is one) and the write lands there.
Offered for a name bound to the copy of a slice (`.copy()` or `np.copy(...)`) that the function then writes
into in place and never reads otherwise.
Non-goal: copies of fancy-indexed arrays (not views without the copy either; the check rejects the edit).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence

__all__ = ["view_edits"]


def view_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    sliced = _copied(stmt.value, ctx)
    name = stmt.targets[0].id
    if sliced is None or not _written_only(func, name, stmt):
        return
    t = ctx.text
    yield (t.replace(stmt.value, t.of(sliced), precedence(sliced),
                     f"make {name} a view of {t.of(sliced.value)}, not a copy: what is added to it must reach "
                     f"{t.of(sliced.value)}", family="view", need=0),)


def _copied(value: ast.expr, ctx: Context) -> ast.Subscript | None:
    """The slice `value` copies (`a[...].copy()`, `np.copy(a[...])`), if it is one."""
    if not isinstance(value, ast.Call) or value.keywords:
        return None
    func = value.func
    if isinstance(func, ast.Attribute) and func.attr == "copy" and not value.args:
        inner = func.value
    elif isinstance(func, ast.Attribute) and func.attr == "copy" and ctx.text.of(func.value) == ctx.numpy and \
            len(value.args) == 1:
        inner = value.args[0]
    else:
        return None
    return inner if isinstance(inner, ast.Subscript) else None


def _written_only(func: ast.FunctionDef, name: str, bound: ast.stmt) -> bool:
    """Whether, after `bound`, `func` writes into `name` in place (`name += ...`, `name[...] = ...`) and reads it
    nowhere else (it is not returned, stored or passed on)."""
    written = False
    for st in statements_of(func):
        if st.lineno <= bound.lineno:
            continue
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AugAssign) else []
        for target in targets:
            base = target.value if isinstance(target, ast.Subscript) else target
            if isinstance(base, ast.Name) and base.id == name:
                if isinstance(target, ast.Name) and isinstance(st, ast.Assign):
                    return written  # bound anew: the writes before count
                written = True
        # a loop or `if` is read in its header only: its body's statements come one by one
        heads = [getattr(st, a) for a in ("test", "iter") if getattr(st, a, None) is not None] \
            if hasattr(st, "body") else [st]
        reads = [n for h in heads for n in ast.walk(h) if isinstance(n, ast.Name) and n.id == name and
                 isinstance(n.ctx, ast.Load)]
        in_place = isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name) and st.target.id == name
        if reads and not in_place and not _only_in_target(st, name):
            return False
    return written


def _only_in_target(st: ast.stmt, name: str) -> bool:
    """Whether `name` is read only as the array a subscript assignment writes into (`name[i] = v`)."""
    value = st.value if isinstance(st, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)) else None
    in_value = value is not None and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(value))
    return not in_value and isinstance(st, (ast.Assign, ast.AugAssign))
