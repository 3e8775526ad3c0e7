"""Candidate family "spread": a gradient left in the shape of a reduction's output (`dout / (H * W)`, (N, C, 1, 1)),
spread back over the input it reduced: `dout / (H * W) * np.ones((N, C, H, W))`.

A global pooling averages (or sums) each channel's H x W positions into one; each position's share of the gradient
is the same, broadcast back over the positions. A backward that scales the upstream gradient and returns it leaves it
(N, C, 1, 1) (wrong-shape). Offered for the value a backward returns or writes into a gradient name, when the value
does not allocate an array already, times ones of the input's shape as the function names it: a tuple of names it
unpacks from a parameter or an attribute (`N, C, H, W = cache`, `x.shape`), or the shape of an array forward stored;
at most MAX_SHAPES candidates a statement.
Non-goal: a reduction's gradient spread over the wrong axes (the axis families'), a shape the code never names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import inputs, statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence

__all__ = ["MAX_SHAPES", "spread_edits"]

#: shapes offered for one value, at most
MAX_SHAPES = 3
_ALLOCATIONS = {"ones", "ones_like", "zeros", "zeros_like", "broadcast_to", "full", "empty", "tile", "repeat"}


def spread_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if "backward" not in func.name or not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None or \
            isinstance(stmt.value, ast.Tuple):
        return
    if isinstance(stmt, ast.Assign) and not all(isinstance(x, ast.Name) and is_gradient(x.id) for x in stmt.targets):
        return
    t = ctx.text
    value = stmt.value
    if any(isinstance(n, ast.Call) and t.of(n.func).split(".")[-1] in _ALLOCATIONS for n in ast.walk(value)):
        return
    written = t.of(value) if precedence(value) >= 11 else f"({t.of(value)})"
    for shape in _shapes(func, ctx, stmt.lineno)[:MAX_SHAPES]:
        yield (t.replace(value, f"{written} * {ctx.numpy}.ones({shape})", 11,
                         f"spread it over the input's shape {shape}, each position's share alike", family="spread",
                         need=0),)


def _shapes(func: ast.FunctionDef, ctx: Context, before: int) -> list[str]:
    """The input's shape as `func` names it before line `before`: the tuples of names it unpacks from a name, an
    attribute or a `.shape` (`(N, C, H, W)`), then `.shape` of each array forward stored."""
    t = ctx.text
    out: list[str] = []
    for st in statements_of(func):
        if st.lineno >= before or not isinstance(st, ast.Assign) or len(st.targets) != 1:
            continue
        target = st.targets[0]
        if isinstance(target, ast.Tuple) and len(target.elts) >= 2 and \
                all(isinstance(e, ast.Name) for e in target.elts) and isinstance(st.value, (ast.Name, ast.Attribute)):
            out.append(f"({', '.join(t.of(e) for e in target.elts)})")
    out += [f"{x}.shape" for x in inputs(ctx)]
    return list(dict.fromkeys(out))
