"""Candidate family "own-output": a derivative written with the setting times the input where the function's own output
belongs (ML-From-Scratch's ELU gradient `self.alpha * x + self.alpha`, where `self.__call__(x) + self.alpha` belongs:
below zero the derivative of alpha * (exp(x) - 1) is that output plus alpha).

An activation class that computes its output in `__call__(x)` and its derivative in `gradient(x)` may write the
derivative through the output; a product of one of the class's settings and the input in its place is the input
read where the output was meant. Offered in a method of such a class that takes the input (`gradient(self, x)`), for
each product of an attribute of self and that input: the product replaced by `self.__call__(x)`, one candidate each.
Non-goal: classes without `__call__`, outputs kept as attributes (the reference family swaps those).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, written_value

__all__ = ["own_output_edits"]

FAMILY = "own-output"


def own_output_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    args = [a.arg for a in func.args.args]
    if value is None or len(args) != 2 or args[0] != "self" or func.name.startswith("__") or \
            not _callable_class(ctx.text.text, func):
        return
    x = args[1]
    t = ctx.text
    for node in ast.walk(value):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
            continue
        sides = {type(node.left), type(node.right)}
        texts = {t.of(node.left), t.of(node.right)}
        if sides == {ast.Name, ast.Attribute} and x in texts and any(s.startswith("self.") for s in texts):
            yield (t.replace(node, f"self.__call__({x})", ATOM, f"write the derivative through the output "
                             f"self.__call__({x}), not {t.of(node)}", family=FAMILY),)


def _callable_class(text: str, func: ast.FunctionDef) -> bool:
    """Whether `func` is a method of a class of `text` that defines `__call__` taking one input."""
    for cls in (n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.ClassDef)):
        methods = {m.name: m for m in cls.body if isinstance(m, ast.FunctionDef)}
        if methods.get(func.name) is not None and methods[func.name].lineno == func.lineno:
            call = methods.get("__call__")
            return call is not None and len(call.args.args) == 2
    return False
