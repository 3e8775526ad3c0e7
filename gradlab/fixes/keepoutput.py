"""Candidate family "keep-output": the output kept by forward, and read by backward where it read another array.

A class whose forward returns its output without keeping it (`return e / np.sum(e, axis=-1, keepdims=True)`) and
whose backward evaluates a derivative that needs the output at an array forward kept (a softmax's Jacobian-vector
product `y * (dout - sum(dout * y))` built from `self.x`: wrong-input) has no output to read: the fix keeps it
(`self.out = ...` and `return self.out` in forward's return's place, or `self.out = out` before a returned name,
under a name the class does not use) and reads it in that statement of backward, in the other array's place. Offered,
in a class whose forward keeps nothing it returns, for a statement of backward that reads an attribute forward
sets: that attribute replaced by the output kept, everywhere in the statement. The mirror of `gradlab.fixes.
keepinput`.
Not offered in a class other classes of the file inherit from (their derivatives may want the input).
Non-goal: function-style layers (their cache is a value the forward returns, changed by the cache families).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.keepshape import kept_for_backward
from gradlab.fixes.rebuild import Edit

__all__ = ["keep_output_edits"]


def keep_output_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    found = kept_for_backward(stmt, ctx, func)
    if found is None or not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:  # (narrowed for mypy)
        return
    t = ctx.text
    cls, forward, _ = found
    last = forward.body[-1]
    if not isinstance(last, ast.Return) or last.value is None or isinstance(last.value, (ast.Tuple, ast.Attribute)):
        return
    set_in_forward = {n.attr for n in ast.walk(forward) if isinstance(n, ast.Attribute) and
                      isinstance(n.ctx, ast.Store) and isinstance(n.value, ast.Name) and n.value.id == "self"}
    returned = t.of(last.value)
    if any(isinstance(n, ast.Assign) and t.of(n.value) == returned for n in ast.walk(forward)):
        return  # forward keeps what it returns already (`self.out = out`, `return out`)
    used = {n.attr for n in ast.walk(cls) if isinstance(n, ast.Attribute)}
    name = next(n for n in ("out", "y", "output_kept") if n not in used)
    indent = t.indent(last.lineno)
    if isinstance(last.value, ast.Name):  # `return out`: keep the name before it
        keep = Edit((last.lineno, 0), (last.lineno, 0), f"{indent}self.{name} = {returned}\n", "", "keep-output")
    else:  # `return <expression>`: bound, then returned
        keep = Edit(t.start(last), t.end(last), f"self.{name} = {returned}\n{indent}return self.{name}", "",
                    "keep-output")
    read = [n for n in ast.walk(stmt.value) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and
            n.value.id == "self" and n.attr in set_in_forward]
    for attr in dict.fromkeys(n.attr for n in read):
        why = f"keep the output in forward as self.{name} and read it where self.{attr} is"
        # the backward's edits first: the search ranks a candidate by its first edit's line
        yield (*(Edit(t.start(n), t.end(n), f"self.{name}", why, "keep-output") for n in read if n.attr == attr),
               Edit(keep.start, keep.end, keep.new, why, "keep-output"))
