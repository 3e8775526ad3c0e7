"""Candidate family "swap": two blocks of a concatenation in the wrong order.

A gradient put together from blocks (`np.hstack((di, df, do, dg))`: an LSTM's four gates, a GRU's, the halves of a
bidirectional state) must put each block where forward sliced it from; two blocks swapped send each block's gradient
to the other's weights (misrouted). Offered for a call of numpy's concatenations (`hstack`, `vstack`,
`concatenate`, `stack`, `column_stack`, `dstack`) with a literal tuple or list of two to six blocks: every pair
swapped, at most fifteen candidates.
Non-goal: a block sliced at the wrong place in forward (an edit of the slice, not of the order).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["swap_edits"]

_CONCATENATIONS = {"hstack", "vstack", "concatenate", "stack", "column_stack", "dstack"}
#: blocks of one concatenation whose pairs are offered, at most
MAX_BLOCKS = 6


def swap_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, (ast.Assign, ast.Return, ast.AugAssign)) or stmt.value is None:
        return
    t = ctx.text
    for call in (n for n in ast.walk(stmt.value) if isinstance(n, ast.Call)):
        f = call.func
        if not (isinstance(f, ast.Attribute) and f.attr in _CONCATENATIONS and t.of(f.value) == ctx.numpy) or \
                not call.args or not isinstance(call.args[0], (ast.Tuple, ast.List)):
            continue
        blocks = call.args[0].elts
        if not 2 <= len(blocks) <= MAX_BLOCKS or any(isinstance(b, ast.Starred) for b in blocks):
            continue
        for a, b in itertools.combinations(blocks, 2):
            if t.of(a) == t.of(b):
                continue
            why = f"swap the blocks {t.of(a)} and {t.of(b)} of the {f.attr}"
            yield (Edit(t.start(a), t.end(a), t.of(b), why, "swap"), Edit(t.start(b), t.end(b), t.of(a), why, "swap"))
