"""Candidate family "size-product": a count written as the sum of two sizes where their product belongs (a global
average pool's backward dividing by `H + W`, the count of an H x W plane being `H * W`).

The count a mean divides by is the product of the sizes of the axes it reduces; a sum of sizes is never a count of
elements. Offered for each divisor (or factor of a divisor) that adds two or three sizes, a size being a name the
function binds by unpacking a shape or a tuple of sizes (`N, C, H, W = x.shape`, `= cache`) or an array's
`.shape[i]`: the `+` made `*`, one candidate a divisor.
Non-goal: a size written wrong (one axis for another), counts of other arithmetic.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import written_value

__all__ = ["size_product_edits"]

FAMILY = "size-product"


def size_product_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None:
        return
    sizes = _size_names(func)
    t = ctx.text
    for node in ast.walk(value):
        if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
            continue
        terms = _terms(node.right)
        if terms is None or not 2 <= len(terms) <= 3 or not all(_is_size(e, sizes, t.of(e)) for e in terms):
            continue
        new = " * ".join(t.of(e) for e in terms)
        yield (t.replace(node.right, new, 11, f"divide by the count {new}, the product of the sizes, not their sum",
                         family=FAMILY),)


def _terms(node: ast.expr) -> list[ast.expr] | None:
    """The operands of a sum `a + b (+ c)`, in order; None for anything else."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add)):
        return None
    left = _terms(node.left)
    return [*(left if left is not None else [node.left]), node.right]


def _size_names(func: ast.FunctionDef) -> set[str]:
    """The names `func` unpacks from a tuple of sizes: `N, C, H, W = x.shape` (or `= cache`, `= self.shape`)."""
    out: set[str] = set()
    for n in ast.walk(func):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Tuple) and \
                not isinstance(n.value, ast.Tuple) and len(n.targets[0].elts) >= 2:
            out |= {e.id for e in n.targets[0].elts if isinstance(e, ast.Name)}
    return out


def _is_size(node: ast.expr, sizes: set[str], text: str) -> bool:
    return isinstance(node, ast.Name) and node.id in sizes or \
        isinstance(node, ast.Subscript) and text.split("[")[0].endswith(".shape")
