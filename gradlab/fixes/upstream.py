"""Candidate family "upstream": the upstream gradient brought into a value that lost it.

Two slips of the chain rule: the local derivative returned without the upstream gradient, whole or in one branch
(`np.where(x > 0, dout, alpha)` where `alpha * dout` belongs, `return 1 - out ** 2`); and an upstream gradient
the backward receives but never reads (`dnext_c`), which belongs added to a value built from another
(`dc = dnext_h * o * ...` where `dnext_c + ...` belongs); and an accumulation in a loop that leaves out the
upstream gradient's element its neighbours multiply by (`dw[f] += x_pad[...]` where `... * dout[n, f, i, j]`
belongs); and a gradient written as zeros (`np.zeros(self.A.shape)`) in place of the upstream gradient: an identity's
derivative is ones, and the gradient the upstream one times them (`dLdA * np.ones(...)`).
Non-goal: a gradient that flows in from the step before inside a loop (`candidates.carried_lines`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import gradient_params, names_read
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import needed_at, parents_of, precedence

__all__ = ["MAX_ELEMENTS", "upstream_edits"]

#: elements of the upstream gradient offered for one accumulation, at most
MAX_ELEMENTS = 3


def upstream_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    upstream = gradient_params(func)
    if isinstance(stmt, ast.AugAssign) and upstream:
        yield from _element(stmt, ctx, func, upstream)
    if not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:
        return
    if not upstream:
        return
    yield from _unread(stmt, ctx, func, upstream)
    yield from _chained(stmt.value, ctx, upstream[0])


def _unread(stmt: ast.Assign | ast.Return, ctx: Context, func: ast.FunctionDef,
            upstream: list[str]) -> Iterator[tuple[Edit, ...]]:
    """`other + value` for an upstream gradient the function never reads, into a value built from another."""
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    here = names_read(stmt.value, ctx) if stmt.value is not None else set()
    if not any(u in here for u in upstream) or isinstance(stmt, ast.Return):
        return
    for other in (u for u in upstream if u not in read):
        yield (ctx.text.replace(stmt.value, f"{other} + {ctx.text.of(stmt.value)}", 10,
                                f"add the upstream gradient {other}, never read", family="upstream", need=0),)


def _element(stmt: ast.AugAssign, ctx: Context, func: ast.FunctionDef,
             upstream: list[str]) -> Iterator[tuple[Edit, ...]]:
    """An accumulation into a gradient, in a loop over the upstream gradient's elements, that reads no gradient
    (`dw[f] += x_pad[n, :, h0:h0 + HH, w0:w0 + WW]`): multiplied by the element of the upstream gradient the
    function's other statements read (`dout[n, f, i, j]`), at most MAX_ELEMENTS of them."""
    t = ctx.text
    if not is_gradient(t.of(stmt.target)) or any(is_gradient(x) for x in names_read(stmt.value, ctx)):
        return
    elements = [t.of(n) for n in ast.walk(func) if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name)
                and n.value.id in upstream and isinstance(n.ctx, ast.Load)]
    for element in list(dict.fromkeys(elements))[:MAX_ELEMENTS]:
        yield (t.replace(stmt.value, f"{_wrapped(t.of(stmt.value), stmt.value)} * {element}", 11,
                         f"multiply by the upstream gradient's element {element}", family="upstream", need=0),)


def _chained(value: ast.expr, ctx: Context, upstream: str) -> Iterator[tuple[Edit, ...]]:
    """The upstream gradient multiplied into the whole value when it reads no gradient, or else into each
    branch (an argument of a call, a side of a sum) that reads none while another does."""
    t = ctx.text
    grads = lambda n: any(is_gradient(x) for x in names_read(n, ctx))  # noqa: E731
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in _ONES and \
            t.of(value.func.value) == ctx.numpy:
        yield (t.replace(value, f"{upstream} * {ctx.numpy}.{_ONES[value.func.attr]}"
                         f"{t.between(t.end(value.func), t.end(value))}", 11,
                         f"pass the upstream gradient {upstream} on: the derivative is ones, not zeros",
                         family="upstream", need=0),)
    if not grads(value):
        yield (t.replace(value, f"{upstream} * {_wrapped(t.of(value), value)}", 11,
                         f"multiply by the upstream gradient {upstream}", family="upstream", need=0),)
        return
    parents = parents_of(value)
    for node in ast.walk(value):
        sides = node.args if isinstance(node, ast.Call) else [node.left, node.right] \
            if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)) else []
        if not any(grads(s) for s in sides):
            continue
        for side in sides:
            if not grads(side) and not isinstance(side, (ast.Compare, ast.Starred)):
                yield (t.replace(side, f"{_wrapped(t.of(side), side)} * {upstream}", 11,
                                 f"multiply {t.of(side)} by the upstream gradient {upstream}", family="upstream",
                                 need=needed_at(side, parents.get(id(side)))),)


#: the allocation of zeros a backward returns, and its counterpart of ones
_ONES = {"zeros": "ones", "zeros_like": "ones_like"}


def _wrapped(text: str, node: ast.AST) -> str:
    return text if precedence(node) >= 11 else f"({text})"
