"""Candidate family "jacobian": a softmax's Jacobian written out as a matrix, its diagonal alone.

A softmax's Jacobian is `diag(y) - y y^T`; a backward that builds it per sample (`np.diagflat(y)`, then the matrix
times the sample's upstream gradient) and leaves out the outer product sends each output's gradient to its own input
only (a term dropped). Offered for an assignment whose whole value is `np.diagflat(y)` or `np.diag(y)` of a name or
attribute: the outer product subtracted, `np.outer(y, y)` (right whether y is a row or a column). One candidate per
such statement.
Non-goal: the Jacobian-free form (`y * (g - sum(g * y))`, `gradlab.fixes.coupling`), and a diagonal meant alone (an
elementwise activation's Jacobian, whose layer passes and is never searched).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["jacobian_edits"]


def jacobian_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, ast.Assign):
        return
    t, v = ctx.text, stmt.value
    if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and v.func.attr in ("diagflat", "diag") and \
            t.of(v.func.value) == ctx.numpy and len(v.args) == 1 and not v.keywords and \
            isinstance(v.args[0], (ast.Name, ast.Attribute)):
        y = t.of(v.args[0])
        new = f"{t.of(v)} - {ctx.numpy}.outer({y}, {y})"
        yield (Edit(t.start(v), t.end(v), new, f"subtract the outer product of {y}: a softmax's Jacobian is "
                    "diag(y) - y y^T", "jacobian"),)
