"""Candidate family "keep-input": the input kept by forward, and read by backward where it read the output.

A class whose forward keeps only its output (`self.out = np.logaddexp(0, x)`) and whose backward evaluates the
derivative at it where the input belongs (softplus' = sigmoid(x), written `1 / (1 + np.exp(-self.out))`:
wrong-input) has no input to read: the fix is two lines, forward keeps `x` (`self.x = x`, under a name the class does
not use) and backward reads it in that statement in the output's place. Offered, in a class whose forward keeps no
attribute bound to its first argument, for a statement of backward that reads an attribute forward sets: that
attribute replaced by the input kept, everywhere in the statement.
Non-goal: the reverse (an output forward returns without keeping it: its return would have to be split), and
function-style layers (their cache is a value the forward returns, changed by the cache families).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.keepshape import kept_for_backward
from gradlab.fixes.rebuild import Edit

__all__ = ["keep_input_edits"]


def keep_input_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    found = kept_for_backward(stmt, ctx, func)
    if found is None or not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:  # (narrowed for mypy)
        return
    t = ctx.text
    cls, forward, x = found
    set_in_forward = {n.attr for n in ast.walk(forward) if isinstance(n, ast.Attribute) and
                      isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) and n.value.id == "self"}
    keeps_input = any(isinstance(n, ast.Assign) and isinstance(n.value, ast.Name) and n.value.id == x and
                      any(isinstance(tg, ast.Attribute) for tg in n.targets) for n in ast.walk(forward))
    if keeps_input:
        return
    used = {n.attr for n in ast.walk(cls) if isinstance(n, ast.Attribute)}
    name = next(n for n in (x, f"{x}_in", "input_kept") if n not in used)
    first = forward.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):  # a docstring stays first
        if len(forward.body) < 2:
            return
        first = forward.body[1]
    read = [n for n in ast.walk(stmt.value) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and
            n.value.id == "self" and n.attr in set_in_forward]
    for attr in dict.fromkeys(n.attr for n in read):
        why = f"keep the input {x} in forward and read it where self.{attr} is"
        # the backward's edits first: the search ranks a candidate by its first edit's line
        yield (*(Edit(t.start(n), t.end(n), f"self.{name}", why, "keep-input") for n in read if n.attr == attr),
               Edit((first.lineno, 0), (first.lineno, 0), f"{t.indent(first.lineno)}self.{name} = {x}\n", why,
                    "keep-input"))
