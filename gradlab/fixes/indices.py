"""Candidate family "index-order": two loop indices of one subscript in each other's place (`dout[n, c, j, i]` where
the loops read `dout[n, c, i, j]`, `dW[j, i] += ...` for `dW[i, j]`).

A loop-written backward indexes its arrays by its loop variables; two of them swapped in one subscript read or write
each element at its transposed position, which the check measures as a transposed or misrouted gradient, or as a
crash where the two axes differ in length. Offered for each subscript of a statement (read or written) whose index
is a tuple of at least two entries, two or more of them bare names: each pair of different names swapped, at most
MAX_SWAPS for one subscript.
Non-goal: indices that are expressions (`i * stride`): a window's offset is the stride and window families' edit.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_SWAPS", "index_order_edits"]

FAMILY = "index-order"
#: swaps offered for one subscript, at most (four loop indices give six)
MAX_SWAPS = 6


def index_order_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)):
        return
    t = ctx.text
    for node in ast.walk(stmt):
        if not isinstance(node, ast.Subscript) or not isinstance(node.slice, ast.Tuple):
            continue
        names = [e for e in node.slice.elts if isinstance(e, ast.Name)]
        made = 0
        for a, b in itertools.combinations(names, 2):
            if a.id == b.id or made == MAX_SWAPS:
                continue
            made += 1
            why = f"index {t.of(node.value)} with {b.id} and {a.id} in each other's place"
            yield (Edit(t.start(a), t.end(a), b.id, why, FAMILY), Edit(t.start(b), t.end(b), a.id, why, FAMILY))
