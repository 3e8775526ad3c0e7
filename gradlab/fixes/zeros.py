"""Candidate family "product": a gradient left as the zeros it was made of (`dprev_h = np.zeros_like(prev_h)`)
computed as a product of a gradient the function has and an array it received (`np.dot(dz, Wh.T)`).

Offered for a zeros assignment to a gradient name that nothing after it writes into, and that the function
returns; the products in the code's own spelling (`np.dot(a, b)`, `a @ b` or `a.dot(b)`), each local gradient
with each array, transposed or not, the arrays named like weights (`W...`) first; then, for a scale applied
element by element (`gamma * x_hat`), the upstream gradient times each array summed over the batch
(`np.sum(dout * x_hat, axis=0)`); at most MAX_PRODUCTS in all.
Non-goal: sums of several products (one edit repairs one term).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_PRODUCTS", "product_edits"]

#: products offered for one zeros assignment, at most
MAX_PRODUCTS = 24
_ZEROS = {"zeros", "zeros_like"}


def product_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not _zeros_of_gradient(stmt) or not isinstance(stmt, ast.Assign):
        return
    name = stmt.targets[0].id  # type: ignore[attr-defined]
    later = [s for s in statements_of(func) if s.lineno > stmt.lineno]
    written = {n.id for s in later for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    written |= {ctx.text.of(s.target) for s in later if isinstance(s, ast.AugAssign)}
    returned = {n.id for s in later if isinstance(s, ast.Return) for n in ast.walk(s) if isinstance(n, ast.Name)}
    subscripted = any(isinstance(n, ast.Subscript) and isinstance(n.value, ast.Name) and n.value.id == name
                      and isinstance(n.ctx, ast.Store) for s in later for n in ast.walk(s))
    if name in written or subscripted or name not in returned:
        return
    earlier = [s for s in statements_of(func) if s.lineno < stmt.lineno and isinstance(s, ast.Assign)]
    grads = [n.id for s in earlier for t in s.targets for n in ast.walk(t)
             if isinstance(n, ast.Name) and is_gradient(n.id) and n.id != name]
    grads = list(dict.fromkeys([*grads, *(a.arg for a in func.args.args if is_gradient(a.arg))]))
    arrays = sorted((r for r in ctx.refs if not is_gradient(r) and "cache" not in r.lower() and r not in ctx.hypers
                     and r not in ctx.batch), key=lambda r: not r.split(".")[-1].startswith("W"))
    form = _product_form(func, ctx)
    made = 0
    for g in grads:
        for a in arrays:
            for b in (f"{a}.T", a):
                if made == MAX_PRODUCTS:
                    return
                made += 1
                yield (ctx.text.replace(stmt.value, form.format(g, b), 11, f"compute {name} as a product, not zeros",
                                        family="product", need=0),)
    # a scale applied element by element (`gamma * x_hat`): its gradient sums the upstream one times what it scaled
    for g in (a.arg for a in func.args.args if is_gradient(a.arg)):
        for a in arrays:
            if made == MAX_PRODUCTS:
                return
            made += 1
            yield (ctx.text.replace(stmt.value, f"{ctx.numpy}.sum({g} * {a}, axis=0)", 20,
                                    f"compute {name} as the sum of {g} * {a}, not zeros", family="product", need=0),)


def _zeros_of_gradient(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and \
        is_gradient(stmt.targets[0].id) and isinstance(stmt.value, ast.Call) and \
        (stmt.value.func.attr if isinstance(stmt.value.func, ast.Attribute) else "") in _ZEROS


def _product_form(func: ast.FunctionDef, ctx: Context) -> str:
    text = ctx.text.of(func)
    if f"{ctx.numpy}.dot(" in text:
        return ctx.numpy + ".dot({}, {})"
    if ".dot(" in text:
        return "{}.dot({})"
    return "{} @ {}"
