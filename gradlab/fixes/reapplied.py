"""Candidate family "reapplied": the forward's function applied again to the output it already gave (`np.tanh(
self.out)` where `self.out = np.tanh(x)`, `sigmoid(self.y)` for the kept sigmoid `self.y`), where the output itself
belongs.

A backward that recomputes an activation from what forward kept must give it the input; handed the kept output, it
applies the function twice. Offered for a call of one argument in a backward statement whose argument is a name or
attribute the layer's file binds to a call of the same function (`self.out = np.tanh(...)`): the call replaced by
its argument, one candidate a call.
Non-goal: a function the file does not bind its output of (the keep-input family keeps the input instead).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, written_value

__all__ = ["reapplied_edits"]

FAMILY = "reapplied"


def reapplied_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    bound = _bound_to(t.text)
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords and \
                isinstance(node.args[0], (ast.Name, ast.Attribute)):
            arg = t.of(node.args[0])
            if t.of(node.func) in bound.get(arg, ()):
                yield (t.replace(node, arg, ATOM, f"read {arg}, the output of {t.of(node.func)} kept, not "
                                 f"{t.of(node.func)} applied to it again", family=FAMILY),)


@functools.lru_cache(maxsize=16)
def _bound_to(text: str) -> dict[str, tuple[str, ...]]:
    """For each name or attribute the file binds to a call of one argument, the functions called."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    out: dict[str, list[str]] = {}
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], (ast.Name, ast.Attribute)) \
                and isinstance(n.value, ast.Call) and len(n.value.args) == 1:
            out.setdefault(ast.unparse(n.targets[0]), []).append(ast.unparse(n.value.func))
    return {k: tuple(v) for k, v in out.items()}
