"""Candidate family "term", for a term the backward computes and then leaves out (`mean_dx_norm_x` computed on a line of
its own, and `dx = inv_std * (dx_norm - mean_dx_norm)` without `- self.x_norm * mean_dx_norm_x`).

A local a backward binds and never reads is a value it meant to use: most often the term of a sum it computed
stage by stage and forgot to add. Offered for each statement after it that writes a gradient the check failed (the
return for dx), for each sum in its value (the whole value where it has none): the local added and subtracted, alone
and times each array its own value reads besides gradients (the normalised input it projects on, at most
MAX_ARRAYS), at most MAX_UNUSED locals a function.
Non-goal: a value never computed at all (a formula to write), a value thrown away by an unpacking
(`gradlab.fixes.unread`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import parents_of, written_value

__all__ = ["MAX_ARRAYS", "MAX_UNUSED", "unused_term_edits"]

#: unread locals offered as a term, at most
MAX_UNUSED = 2
#: arrays one such local is offered multiplied by, at most
MAX_ARRAYS = 2


def unused_term_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None or not _writes_failing(stmt, ctx):
        return
    t = ctx.text
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    unused = [st for st in func.body if isinstance(st, ast.Assign) and len(st.targets) == 1 and
              isinstance(st.targets[0], ast.Name) and st.targets[0].id not in read and st.lineno < stmt.lineno and
              st.targets[0].id != "_"][:MAX_UNUSED]
    if not unused:
        return
    parents = parents_of(value)
    sums = [n for n in ast.walk(value) if _is_sum(n) and not _is_sum(parents.get(id(n)))] or [value]
    for st in unused:
        name = st.targets[0].id  # type: ignore[attr-defined]
        arrays = [t.of(n) for n in ast.walk(st.value) if isinstance(n, (ast.Name, ast.Attribute)) and
                  isinstance(n.ctx, ast.Load) and not is_gradient(t.of(n)) and t.of(n) in [*ctx.refs, *ctx.cached]
                  and t.of(n) != ctx.numpy and not isinstance(parents_of(st.value).get(id(n)), ast.Attribute)]
        terms = [name, *(f"{a} * {name}" for a in dict.fromkeys(arrays))][:1 + MAX_ARRAYS]
        for chain in sums:
            for term in terms:
                for sign in ("-", "+"):
                    yield (Edit(t.end(chain), t.end(chain), f" {sign} {term}",
                                f"{'subtract' if sign == '-' else 'add'} {term}, computed above and never used",
                                "term"),)


def _is_sum(node: ast.AST | None) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub))


def _writes_failing(stmt: ast.stmt, ctx: Context) -> bool:
    """Whether `stmt` returns, or writes a name of a gradient the check failed (`dx`, `self.dx`)."""
    if isinstance(stmt, ast.Return):
        return True
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AugAssign) \
        else []
    return any(ctx.text.of(tg).split(".")[-1] in ctx.failing for tg in targets)
