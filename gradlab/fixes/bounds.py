"""Candidate family "bounds": a loop's range or a slice one element off (the off-by-one of hand-written loops).

A `for` over `range(H_out + 1)` reads past the gradient it walks (an IndexError), `range(T - 1, 0, -1)` stops
before t = 0, `range(1, T)` starts after it, and a slice `dx_pad[:, :, pad:pad + H - 1]` keeps one row too few.
Offered where the code shows the slip's shape, each at most a few candidates: a bound written `a + 1` or `a - 1`
loses its 1 (each alone, and all of one subscript's at once: the same slip is written for H and for W); a
descending range's stop 0 becomes -1; an ascending range's start 1 becomes 0. A loop's range is offered with the
first statement of its body, so that it is tried with the statements it drives.
Non-goal: bounds that are off by more than one (a window's size, a stride: other families' settings).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, precedence, written_value

__all__ = ["bounds_edits"]


def bounds_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    for loop in (n for n in ast.walk(func) if isinstance(n, ast.For) and _first_statement(n) is stmt):
        yield from _range_edits(loop.iter, t)
    value = written_value(stmt)
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AugAssign) \
        else []
    for root in [*targets, *([value] if value is not None else [])]:
        for node in ast.walk(root):
            if isinstance(node, ast.Subscript):
                yield from _slice_edits(node, t)


def _first_statement(loop: ast.For) -> ast.stmt:
    """The first simple statement a loop runs, inside the loops and tests nested at its top."""
    first: ast.stmt = loop
    while isinstance(first, (ast.For, ast.While, ast.If)) and first.body:
        first = first.body[0]
    return first


def _off_by_one(node: ast.expr | None) -> ast.expr | None:
    """`a` of a bound written `a + 1` or `a - 1`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) and \
            isinstance(node.right, ast.Constant) and node.right.value == 1:
        return node.left
    return None


def _without_one(node: ast.expr, t: Text, why: str) -> Edit | None:
    inner = _off_by_one(node)
    if inner is None:
        return None
    # `a - 1` inside `pad + H - 1` is the whole bound: what is left is the left operand, as written
    return t.replace(node, t.of(inner), precedence(inner), why, family="bounds")


def _range_edits(it: ast.expr, t: Text) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(it, ast.Call) or not isinstance(it.func, ast.Name) or it.func.id != "range" or \
            it.keywords or not 1 <= len(it.args) <= 3:
        return
    for arg in it.args:
        e = _without_one(arg, t, f"loop over range({t.of(_off_by_one(arg) or arg)}), not one step more or less")
        if e is not None:
            yield (e,)
    step = it.args[2] if len(it.args) == 3 else None
    descending = isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) or \
        isinstance(step, ast.Constant) and isinstance(step.value, int) and step.value < 0
    if len(it.args) >= 2:
        start, stop = it.args[0], it.args[1]
        if descending and isinstance(stop, ast.Constant) and stop.value == 0:  # range(T - 1, 0, -1) skips t = 0
            yield (t.replace(stop, "-1", 12, "run the loop down to 0 itself: its stop is -1", family="bounds",
                             need=0),)
        if not descending and isinstance(start, ast.Constant) and start.value == 1:  # range(1, T) skips 0
            yield (t.replace(start, "0", 20, "start the loop at 0", family="bounds"),)


def _slice_edits(node: ast.Subscript, t: Text) -> Iterator[tuple[Edit, ...]]:
    slices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    edits = [e for s in slices if isinstance(s, ast.Slice) for bound in (s.lower, s.upper) if bound is not None
             for e in [_without_one(bound, t, f"slice to {t.of(_off_by_one(bound) or bound)}, not one more or less")]
             if e is not None]
    for e in edits:
        yield (e,)
    if len(edits) > 1:  # the same slip written for every axis of one subscript: one slip, one candidate
        yield tuple(edits)
