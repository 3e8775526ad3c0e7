"""Candidate family "second-term": the product rule's second branch written without the input, or computed and left
out (a swish's `dout * (s + s * (1 - s))` where `s + x * s * (1 - s)` belongs; a GELU's `pdf` computed on a line of
its own and `grad * self.cdf` returned, where `grad * (self.cdf + self.x * pdf)` belongs).

The derivative of a forward `x * f(x)` is `f(x) + x * f'(x)`. A backward that writes the sum with its second term not
multiplied by the input, or that binds `f'(x)` to a local it never reads and returns the first term alone, has
dropped the `x`. Offered, in a backward whose forward multiplies an array by a name or attribute F (`x * self.s`), for
a sum `F + T` in a statement's value where T reads F and no input: `F + x * T`; and, where the function binds a local
it never reads, for F as a factor of a product in a statement's value: `(F + x * L)`; x each array the backward may
read as the layer's input (at most three), L each unread local (at most two).
Non-goal: a second term whose own derivative is wrong (the derivative family), a forward of another shape.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.literals import forward_functions
from gradlab.fixes.reads import inputs, names_read
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, written_value

__all__ = ["second_term_edits"]

FAMILY = "second-term"
#: unread locals offered, at most
MAX_LOCALS = 2


def second_term_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None or "backward" not in func.name:
        return
    t = ctx.text
    multiplied = {t.of(side) for f in forward_functions(t.text, func) for n in ast.walk(f)
                  if isinstance(n, ast.Return) and isinstance(n.value, ast.BinOp) and isinstance(n.value.op, ast.Mult)
                  for side in (n.value.left, n.value.right) if isinstance(side, (ast.Name, ast.Attribute))}
    if not multiplied:
        return
    xs = [x for x in inputs(ctx) if x not in multiplied]
    read = names_read(value, ctx)
    for node in ast.walk(value):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            yield from _unmultiplied(node, multiplied, xs, ctx)
    unread = _unread_locals(func, stmt.lineno)
    if not unread:
        return
    for node in ast.walk(value):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
            continue
        for factor in (node.left, node.right):
            name = t.of(factor)
            if name not in multiplied:
                continue
            for x in (x for x in xs if x not in read):
                for local in unread:
                    yield (t.replace(factor, f"({name} + {x} * {local})", ATOM, f"add the product rule's other "
                                     f"branch, {x} times {local}", family=FAMILY),)


def _unmultiplied(node: ast.BinOp, multiplied: set[str], xs: list[str], ctx: Context) -> Iterator[tuple[Edit, ...]]:
    """`F + T`, T reading F and no input: `F + x * T`."""
    t = ctx.text
    for first, second in ((node.left, node.right), (node.right, node.left)):
        name = t.of(first)
        if name not in multiplied or isinstance(second, ast.Constant):
            continue
        read = names_read(second, ctx)
        if name not in read or any(x in read for x in xs):
            continue
        for x in xs:
            yield (t.replace(second, f"{x} * {t.of(second)}", 11, f"multiply the product rule's second branch by "
                             f"{x}", family=FAMILY),)


def _unread_locals(func: ast.FunctionDef, before: int) -> list[str]:
    """The names `func` binds by a plain assignment before line `before` and reads nowhere."""
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    bound = [n.targets[0].id for n in ast.walk(func) if isinstance(n, ast.Assign) and len(n.targets) == 1 and
             isinstance(n.targets[0], ast.Name) and n.lineno < before]
    return [b for b in dict.fromkeys(bound) if b not in read][:MAX_LOCALS]
