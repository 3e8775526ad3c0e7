"""Candidate family "extremum": the position of the other extremum than the one the forward took (`np.argmin(window)`
in a max pool's backward, where forward kept `np.max(window)`).

A backward that routes the gradient to where the forward's maximum was must find that maximum again; the argmin (or
argmax for a min pool) sends it to the wrong element (misrouted). Offered for each call of `argmin` or `argmax` (numpy's
or an array's method) in a function whose forward takes the other extremum (`max`, `amax`, `argmax`, `maximum`) and
never this one: the name swapped, one candidate a call.
Non-goal: a forward that takes both (a min-max scaling: which one backward wants is not a slip of a name).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.literals import forward_functions
from gradlab.fixes.rebuild import Edit

__all__ = ["extremum_edits"]

FAMILY = "extremum"
_OTHER = {"argmin": "argmax", "argmax": "argmin", "nanargmin": "nanargmax", "nanargmax": "nanargmin"}
_SIDE = {"max": "max", "amax": "max", "argmax": "max", "nanmax": "max", "maximum": "max", "nanargmax": "max",
         "min": "min", "amin": "min", "argmin": "min", "nanmin": "min", "minimum": "min", "nanargmin": "min"}


def extremum_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call) and _name(n.func) in _OTHER]
    if not calls:
        return
    sides = {_SIDE[name] for f in forward_functions(ctx.text.text, func) for n in ast.walk(f)
             if isinstance(n, ast.Call) and (name := _name(n.func)) in _SIDE}
    t = ctx.text
    for call in calls:
        name = _name(call.func)
        if sides != {"min" if _SIDE[name] == "max" else "max"}:
            continue
        # the name alone is replaced: its attribute's span ends where the call's parentheses begin
        end = t.end(call.func)
        start = (end[0], end[1] - len(name))
        yield (Edit(start, end, _OTHER[name], f"take the {_OTHER[name]}, as the forward takes the "
                    f"{_SIDE[_OTHER[name]]}imum", FAMILY),)


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
