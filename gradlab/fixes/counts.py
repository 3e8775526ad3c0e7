"""Candidate family "count", by a size the code names: a gradient off by a count that is not the batch size, where
the function already binds that count to a name (`outputs = len(dvalues[0])`: a loss averaged over each sample's
outputs in forward, whose backward divides by the samples alone).

The factor family divides by the batch size and by the constant measured; a measured factor that is a size of the
case (2 outputs here, 3 there) is neither, and only the code's own name for it holds on every case. Offered for a
statement that writes a gradient (a name or attribute read as one, or a backward's return) when one factor was
measured: its value divided by (a factor above 1) or multiplied by (below 1) each name the function binds to a size
before it (`len(...)`, `x.shape[i]`, `x.size`, a name unpacked from `x.shape`), other than the batch size's and those
the value reads already, and the element count of each array the value reads (`diff.size`); at most MAX_SIZES of each.
A returned tuple (`return dx, None`) is edited in its arrays.
Non-goal: sizes the code never names (the factor family's constant), sizes of other functions.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import gradient_params, statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence

__all__ = ["size_name_edits"]

#: size names tried for one statement, at most
MAX_SIZES = 4


def size_name_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    factor = ctx.factor
    if factor is None or abs(factor - 1) < 1e-6 or factor <= 0 or not _writes_gradient(stmt, ctx) or \
            not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:
        return
    t = ctx.text
    read = {n.id for n in ast.walk(stmt.value) if isinstance(n, ast.Name)}
    sizes = [n for n in _size_names(func, stmt.lineno, ctx) if n not in read and n not in ctx.batch][:MAX_SIZES]
    # a custom function's `return grad * 2 * diff, None`: the gradient is the tuple's array, not the tuple
    values = [e for e in stmt.value.elts if not isinstance(e, ast.Constant)] \
        if isinstance(stmt, ast.Return) and isinstance(stmt.value, ast.Tuple) else [stmt.value]
    op, how = ("/", "divide by") if factor > 1 else ("*", "multiply by")
    for value in values:
        text = t.of(value) if precedence(value) >= 11 else f"({t.of(value)})"  # `a / b / n` divides a / b by n
        # and the element count of an array the value reads, unnamed (`diff.size`: a mean over every element)
        names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        arrays = [f"{n}.size" for n in ctx.refs if n in names and n not in gradient_params(func)][:MAX_SIZES]
        for name in [*sizes, *arrays]:
            yield (t.replace(value, f"{text} {op} {name}", 11, f"{how} {name}, a count forward's mean divides by",
                             family="count", need=0),)


def _writes_gradient(stmt: ast.stmt, ctx: Context) -> bool:
    if isinstance(stmt, ast.Return):
        return True
    targets = stmt.targets if isinstance(stmt, ast.Assign) else []
    return any(is_gradient(ctx.text.of(tg)) or ctx.text.of(tg).endswith("dinputs") for tg in targets)


def _size_names(func: ast.FunctionDef, before: int, ctx: Context) -> list[str]:
    """Names `func` binds, before line `before`, to a size: `len(...)`, `x.shape[i]`, `x.size`, `N, D = x.shape`."""
    out: list[str] = []
    t = ctx.text
    for st in statements_of(func):
        if st.lineno >= before or not isinstance(st, ast.Assign) or len(st.targets) != 1:
            continue
        target, value = st.targets[0], st.value
        if isinstance(target, ast.Name) and (
                isinstance(value, ast.Call) and t.of(value.func) == "len" or
                isinstance(value, ast.Attribute) and value.attr == "size" or
                isinstance(value, ast.Subscript) and isinstance(value.value, ast.Attribute) and
                value.value.attr == "shape"):
            out.append(target.id)
        elif isinstance(target, ast.Tuple) and isinstance(value, ast.Attribute) and value.attr == "shape":
            out += [e.id for e in target.elts if isinstance(e, ast.Name) and e.id != "_"]
    return list(dict.fromkeys(out))
