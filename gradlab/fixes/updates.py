"""Candidate family "update": an optimizer's step written inside backward, with a step size of its own, taken out.

`W -= 0.01 * dW` in a backward that is not given a learning rate changes the parameter the next gradient is
computed from (stale-parameters): the step belongs to the optimizer, and deleting the line is the fix. A backward
that is given its learning rate (`backward(grad, learning_rate)`, a convention gradlab reads as it is) keeps its
update: only an update that reads none of the backward's arguments but gradients is offered for deletion. Its
target may be a weight the backward unpacked (`W, b = self.params`: the second volume's lists, updated in place),
which the statement edits otherwise reach only as a plain removal, late among the candidates.
Non-goal: moving an update below the gradients that read the parameter (the order family of
`gradlab.fixes.statements`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit

__all__ = ["update_edits"]


def update_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.AugAssign) or not isinstance(stmt.op, (ast.Sub, ast.Add)) or \
            stmt.lineno != stmt.end_lineno or func.name != "backward" and "backward" not in func.name:
        return
    t = ctx.text
    target = t.of(stmt.target)
    if not isinstance(stmt.target, (ast.Name, ast.Attribute)) or is_gradient(target):
        return
    reads = {t.of(n) for n in ast.walk(stmt.value) if isinstance(n, (ast.Name, ast.Attribute))}
    args = {a.arg for a in func.args.args} - {"self"}
    # a step of the gradient, not the caller's learning rate: a gradient read, no argument but gradients
    if not any(is_gradient(r) for r in reads) or any(a in reads and not is_gradient(a) for a in args):
        return
    if not any(isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(stmt.value)):
        return  # `W -= dW` with no step size of its own may be an accumulation of the user's design
    line = stmt.lineno
    yield (Edit((line, 0), (line + 1, 0), "", f"leave the step of {target} to the optimizer", "update"),)
