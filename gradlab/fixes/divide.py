"""Candidate family "divide": a gradient divided by the batch size in a statement of its own, where one path left it
out.

A backward with two paths to one gradient (a loss taking one-hot labels in one branch and class indices in the other)
may divide by the batch size on one path and forget it on the other: the gradient is N times too large on that path
alone (missing-batch-mean, measured), and no edit of an expression the paths share fixes it, since the other path
would then be divided twice. The fix is the line that path lacks: `dx = dx / batch_size` just after the statement that
last writes the gradient there. Offered, where the gradient measured is too large by a factor, after each statement
of a branch or loop that writes a gradient, for each name the code gives the batch size, at most a few candidates.
Where both paths of an `if`/`else` write the gradient, the division is also offered once after the `if` statement.
Non-goal: a factor missing from an expression (the factor edits of `gradlab.fixes.statements`), and gradients written
in place through an index alone (`dx[i] -= 1`, the path's last write then is the statement before it: offered there).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit

__all__ = ["divide_edits"]

#: batch-size names offered, at most
MAX_BATCH = 2


def divide_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if ctx.factor is None or ctx.factor < 1.5:
        return
    if isinstance(stmt, ast.If):
        yield from _every_path(stmt, ctx, func)
        return
    root = _written(stmt)
    if root is None or not is_gradient(ctx.text.of(root)):
        return
    block = _block_of(func, stmt)
    if block is None or block is func.body:  # a path of its own: a branch's or a loop's body
        return
    t = ctx.text
    name = t.of(root)
    # after the last statement of the branch that writes the gradient, not between two of its writes
    writes = [s for s in block if (w := _written(s)) is not None and t.of(w) == name]
    if not writes or writes[-1] is not stmt:
        return
    line = (stmt.end_lineno or stmt.lineno) + 1
    for batch in [b for b in ctx.batch if "." not in b][:MAX_BATCH]:
        yield (Edit((line, 0), (line, 0), f"{t.indent(stmt.lineno)}{name} = {name} / {batch}\n",
                    f"divide {name} by {batch} on this path too", "divide"),)


def _every_path(stmt: ast.If, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    """Both paths of an `if`/`else` that write a gradient left it undivided (a loss's one-hot and index branches, both
    without `/ batch_size`): the division once, on a line of its own just after the `if` statement."""
    t = ctx.text
    names = [{t.of(w) for s in block if (w := _written(s)) is not None} for block in (stmt.body, stmt.orelse)]
    common = sorted(n for n in names[0] & names[1] if is_gradient(n))
    if not stmt.orelse or len(common) != 1:
        return
    name, line = common[0], (stmt.end_lineno or stmt.lineno) + 1
    # a gradient nothing reads after the `if` (an attribute the layer keeps) is the rescale family's, which adds the
    # same line where its last write is into an element: offered once, by the family that says why
    if not any(isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ast.Load) and t.of(n) == name
               for n in ast.walk(func) if getattr(n, "lineno", 0) >= line):
        return
    for batch in [b for b in ctx.batch if "." not in b][:MAX_BATCH]:
        yield (Edit((line, 0), (line, 0), f"{t.indent(stmt.lineno)}{name} = {name} / {batch}\n",
                    f"divide {name} by {batch} after both paths", "divide"),)


def _written(stmt: ast.stmt) -> ast.Name | ast.Attribute | None:
    """The array a one-target assignment writes, whole or through an index (`dx` of `dx[i] -= 1`)."""
    if not isinstance(stmt, (ast.Assign, ast.AugAssign)):
        return None
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    root = targets[0]
    while isinstance(root, ast.Subscript):
        root = root.value
    return root if len(targets) == 1 and isinstance(root, (ast.Name, ast.Attribute)) else None


def _block_of(func: ast.FunctionDef, stmt: ast.stmt) -> list[ast.stmt] | None:
    """The list of statements `stmt` sits in directly."""
    for node in ast.walk(func):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and any(s is stmt for s in block):
                return block
    return None
