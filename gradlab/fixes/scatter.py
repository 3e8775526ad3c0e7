"""Candidate family "scatter": `np.add.at(dW, idx, dout)` where a fancy-indexed `dW[idx] += dout` loses terms.

With an integer array as index, `dW[idx] += v` adds each row of `v` once per distinct index: a word repeated in
the batch gets one share of its gradient. `np.add.at` adds them all. Offered for an indexed `+=` or `-=` whose
index is not a plain slice or a number (those index each place once anyway).
Non-goal: deciding that the index repeats (the check decides, by re-running the layer).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["scatter_edits"]


def scatter_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func  # the statement alone says it
    if not isinstance(stmt, ast.AugAssign) or not isinstance(stmt.op, (ast.Add, ast.Sub)) or \
            not isinstance(stmt.target, ast.Subscript) or not _may_repeat(stmt.target.slice):
        return
    t = ctx.text
    ufunc = "add" if isinstance(stmt.op, ast.Add) else "subtract"
    index = t.of(stmt.target.slice)
    new = f"{ctx.numpy}.{ufunc}.at({t.of(stmt.target.value)}, {_tuple(index, stmt.target.slice)}, {t.of(stmt.value)})"
    yield (Edit(t.start(stmt), t.end(stmt), new, f"{ufunc} with {ctx.numpy}.{ufunc}.at, so a repeated index counts "
                "every time", "scatter"),)


def _may_repeat(index: ast.expr) -> bool:
    """Whether `index` may hold an index array (a name, a call, a tuple with one) rather than slices or numbers."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    return any(not isinstance(p, (ast.Slice, ast.Constant)) for p in parts)


def _tuple(text: str, index: ast.expr) -> str:
    # `dW[i, j] += v` indexes with the tuple (i, j): np.add.at takes it as one argument
    return f"({text})" if isinstance(index, ast.Tuple) and not text.lstrip().startswith("(") else text
