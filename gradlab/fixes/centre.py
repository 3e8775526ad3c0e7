"""Candidate family "centre": a normalisation's backward given back the term of the statistics' path it dropped.

A batch or layer normalisation's dx is the direct term minus its own reduction minus the normalised input
times the reduction of their product: `(N * g - g.sum(axis=0) - xhat * (g * xhat).sum(axis=0)) * inv / N`
(or the same with means). Written with one of the two reductions, the other is missing; it is built from the
one present, in its spelling (method or function, the same axis and `keepdims`, sum or mean, the same divisor
after it: a mean written `np.sum(...) / D`):
- `N * g - xhat * (g * xhat).sum(axis=0)`: the direct term `N * g` minus `g.sum(axis=0)` (the mean's path);
- `N * g - g.sum(axis=0)`: minus `h * (g * h).sum(axis=0)` for an array forward stored (the variance's path);
- `N * g - g.sum(axis=0) - (g * h).sum(axis=0)`: the variance's path without the array it projects on, `h *` it.
The variance's path kept in a name of its own (`mean_gx = (g * xhat).mean(axis=(2, 3), keepdims=True)`, then
`g - xhat * mean_gx`) is read through that name: the mean's path of the factor the difference starts from (`g`) is
subtracted in the same spelling (`named_centre_edits`).
Non-goal: a dropped path in a backward written stage by stage (`dmu`, `dvar` on lines of their own).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, needed_at, parents_of, value_family, written_value

__all__ = ["centre_edits", "named_centre_edits"]

_REDUCTIONS = {"sum", "mean"}
#: stored arrays offered for the variance's path, at most
MAX_STORED = 4


@value_family
def centre_edits(value: ast.expr, ctx: Context, t: Text) -> Iterator[tuple[Edit, ...]]:
    parents = parents_of(value)
    # the reductions the value has already: a path present is not offered again
    everything = [r for r in (_reduced(n, ctx) for n in ast.walk(value)) if r is not None]
    alone = {r.id for r in everything if isinstance(r, ast.Name)}
    products = {n.id for r in everything if isinstance(r, ast.BinOp) for n in ast.walk(r) if isinstance(n, ast.Name)}
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Sub):
            continue
        for reduction in (n for n in ast.walk(node.right) if isinstance(n, ast.Call)):
            reduced = _reduced(reduction, ctx)
            if reduced is None:
                continue
            grads = [n for n in ast.walk(reduced) if isinstance(n, ast.Name) and is_gradient(n.id)]
            inside = {id(n) for r in ast.walk(node.left) if _reduced(r, ctx) is not None for n in ast.walk(r)}
            direct = {n.id for n in ast.walk(node.left) if isinstance(n, ast.Name) and is_gradient(n.id) and
                      id(n) not in inside}
            if isinstance(reduced, ast.BinOp) and isinstance(reduced.op, ast.Mult) and reduction is node.right:
                # the variance's path subtracted without the normalised input it is projected on: `- (g * h).sum()`
                # where `- h * (g * h).sum()` belongs
                for h in sorted({t.of(n) for n in (reduced.left, reduced.right) if
                                 isinstance(n, (ast.Name, ast.Attribute)) and not is_gradient(t.of(n))}):
                    yield (t.replace(reduction, f"{h} * {t.of(reduction)}", 11,
                                     f"multiply the variance's path by {h}, the array it projects on",
                                     family="centre", need=needed_at(reduction, node)),)
            if isinstance(reduced, ast.BinOp) and isinstance(reduced.op, ast.Mult):
                # the variance's path is there: the mean's, the reduction of the gradient alone, is not
                for g in sorted(direct & {n.id for n in grads} - alone):
                    term = _spelled(reduction, g, ctx) + _divisors(reduction, node.right, parents, t)
                    yield (t.replace(node.left, f"{t.of(node.left)} - {term}", 10,
                                     f"subtract {term}: the path through the mean", family="centre",
                                     need=needed_at(node.left, node)),)
            elif isinstance(reduced, ast.Name) and reduced.id in direct and reduced.id not in products:
                g = reduced.id
                for h in [c for c in ctx.cached if not is_gradient(c) and "cache" not in c.lower()][:MAX_STORED]:
                    term = f"{h} * {_spelled(reduction, f'({g} * {h})', ctx)}" + \
                        _divisors(reduction, node.right, parents, t)
                    yield (t.replace(node, f"{t.of(node)} - {term}", 10,
                                     f"subtract {term}: the path through the variance", family="centre",
                                     need=needed_at(node, parents.get(id(node)))),)


def named_centre_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    """`g - h * p` where the function bound `p` to a reduction of `g * h` (or `h * g`), with no reduction of `g` alone
    anywhere in the function: `g - g.mean(...) - h * p`, the reduction in `p`'s spelling."""
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    bound = {st.targets[0].id: st.value for st in statements_of(func) if st.lineno < stmt.lineno and
             isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name)}
    alone = {t.of(r) for n in ast.walk(func) if (r := _reduced(n, ctx)) is not None and
             isinstance(r, (ast.Name, ast.Attribute))}
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Sub) or \
                not isinstance(node.left, (ast.Name, ast.Attribute)) or t.of(node.left) in alone:
            continue
        g = t.of(node.left)
        for name in (n for n in ast.walk(node.right) if isinstance(n, ast.Name) and n.id in bound):
            reduction = bound[name.id]
            reduced = _reduced(reduction, ctx)
            if isinstance(reduction, ast.Call) and isinstance(reduced, ast.BinOp) and \
                    isinstance(reduced.op, ast.Mult) and g in (t.of(reduced.left), t.of(reduced.right)):
                term = _spelled(reduction, g, ctx)
                yield (Edit(t.end(node.left), t.end(node.left), f" - {term}",
                            f"subtract {term}: the path through the mean", "centre"),)
                break


def _divisors(reduction: ast.AST, term: ast.expr, parents: dict[int, ast.AST], t: Text) -> str:
    """What the term holding `reduction` divides it by (`/ D` of `xhat * np.sum(g * xhat, axis=1) / D`: a mean
    written as a sum), as text to put after the term built from it."""
    out = ""
    node: ast.AST = reduction
    while node is not term and id(node) in parents:
        parent = parents[id(node)]
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Div) and node is parent.left:
            out += f" / {t.atom(parent.right)}"
        node = parent
    return out


def _reduced(node: ast.AST, ctx: Context) -> ast.expr | None:
    """What `node` sums or averages over an axis (`a` of `a.sum(axis=0)` or `np.mean(a, axis=0)`), if it does."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or \
            node.func.attr not in _REDUCTIONS or not any(k.arg == "axis" for k in node.keywords):
        return None
    owner = node.func.value
    if isinstance(owner, ast.Name) and owner.id == ctx.numpy:
        return node.args[0] if len(node.args) == 1 else None
    return owner if not node.args else None


def _spelled(reduction: ast.Call, operand: str, ctx: Context) -> str:
    """`reduction` written for another operand, in its own spelling: `x.sum(axis=0)` -> `g.sum(axis=0)`."""
    t = ctx.text
    keywords = ", ".join(t.of(k) for k in reduction.keywords)
    assert isinstance(reduction.func, ast.Attribute)
    if isinstance(reduction.func.value, ast.Name) and reduction.func.value.id == ctx.numpy:
        return f"{t.of(reduction.func)}({operand}, {keywords})"
    return f"{operand}.{reduction.func.attr}({keywords})"
