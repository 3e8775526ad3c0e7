"""Candidate family "offset": a position found inside a window and never used, the gradient sent to the window's start
(`r, s = np.unravel_index(np.argmax(window), window.shape)`, then `dx[n, c, hs, ws] += dout[n, c, i, j]` where
`dx[n, c, hs + r, ws + s]` belongs).

A backward that unpacks a tuple of names (a row and a column, an offset per axis) and reads none of them computed them
for something: most often to add to the indices of the element the gradient is written to, the window's corner alone
having been written. Offered for a statement that writes into an element (`a[...] += v`, `a[...] = v`) after such an
unpacking: the unread names added, in order, to as many consecutive entries of its index, each entry an expression
(not a slice), the last entries first, at most MAX_PLACES placements for each unpacking.
Non-goal: a single unread name (the unread and term families'), offsets the code never computed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_PLACES", "offset_edits"]

FAMILY = "offset"
#: placements offered for one unpacking, at most
MAX_PLACES = 3


def offset_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    target = stmt.target if isinstance(stmt, ast.AugAssign) else \
        stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
    if not isinstance(target, ast.Subscript) or not isinstance(target.slice, ast.Tuple):
        return
    index = target.slice.elts
    t = ctx.text
    for names in _unread_unpackings(func, stmt.lineno):
        k = len(names)
        starts = [s for s in range(len(index) - k, -1, -1)
                  if not any(isinstance(e, (ast.Slice, ast.Starred)) for e in index[s:s + k])][:MAX_PLACES]
        for s in starts:
            why = f"add {', '.join(names)}, found and never used, to the index the gradient is written at"
            yield tuple(Edit(t.start(e), t.end(e), f"{t.of(e)} + {n}", why, FAMILY)
                        for e, n in zip(index[s:s + k], names, strict=True))


def _unread_unpackings(func: ast.FunctionDef, before: int) -> list[list[str]]:
    """The tuples of two or more names `func` unpacks on a line before `before` and reads nowhere, each in order."""
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    out: list[list[str]] = []
    for node in ast.walk(func):
        if not isinstance(node, ast.Assign) or node.lineno >= before or len(node.targets) != 1 or \
                not isinstance(node.targets[0], ast.Tuple):
            continue
        names = [e.id for e in node.targets[0].elts if isinstance(e, ast.Name)]
        if len(names) == len(node.targets[0].elts) >= 2 and not any(n in read or n == "_" for n in names):
            out.append(names)
    return out
