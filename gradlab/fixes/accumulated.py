"""Candidate family "accumulated": an upstream gradient read as it came in, where the gradient the code has since
accumulated from it belongs.

A backward that first gathers every path into one gradient (`dc = dnext_c + dnext_h * o * (1 - tanh_c ** 2)`: the
cell state's own upstream gradient plus the path through the hidden state) and then reads the raw upstream again
(`dprev_c = dnext_c * f` where `dc * f` belongs) drops the paths gathered since (dropped-term). Offered for a
statement that reads a gradient an earlier statement of the function adds up into another gradient name: that name
in its place, everywhere in the statement, one candidate per such pair.
Non-goal: a gradient read from another step of a loop (the carried gradients of `gradlab.fixes.candidates`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["accumulated_edits"]


def accumulated_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:
        return
    t = ctx.text
    written = {n.id for tg in (stmt.targets if isinstance(stmt, ast.Assign) else []) for n in ast.walk(tg)
               if isinstance(n, ast.Name)}
    read = [n for n in ast.walk(stmt.value) if isinstance(n, ast.Name) and is_gradient(n.id)]
    for raw in dict.fromkeys(n.id for n in read):
        for sum_name in _sums_of(func, raw, before=stmt.lineno):
            if sum_name in written or sum_name == raw:
                continue
            yield tuple(Edit(t.start(n), t.end(n), sum_name, f"read {sum_name}, which adds every path into "
                             f"{raw}, not {raw} alone", "accumulated") for n in read if n.id == raw)


def _sums_of(func: ast.FunctionDef, raw: str, *, before: int) -> list[str]:
    """The gradient names that statements of `func` before line `before` bind to a sum with `raw` as one term
    (`dc = dnext_c + ...`), and that `raw` is not rebound after."""
    out: list[str] = []
    for st in statements_of(func):
        if st.lineno >= before or not isinstance(st, ast.Assign) or len(st.targets) != 1 or \
                not isinstance(st.targets[0], ast.Name):
            continue
        name = st.targets[0].id
        if name == raw:  # rebound: what was summed from before is not what it reads now
            out.clear()
            continue
        if is_gradient(name) and raw in _terms(st.value):
            out.append(name)
    return out


def _terms(value: ast.expr) -> set[str]:
    """The names that are whole terms of a sum (`a` and `b` of `a + b * c`)."""
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return _terms(value.left) | _terms(value.right)
    return {value.id} if isinstance(value, ast.Name) else set()
