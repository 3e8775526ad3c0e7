"""Candidate family "ddof": a variance or standard deviation taken unbiased (`ddof=1`, over N - 1) where the layer's
statistic divides by N.

A normalisation's backward differentiates the variance over N (`2 * xmu / N` on the variance's path); a forward that
takes `np.var(x, axis=0, ddof=1)` scales every normalised value by sqrt((N - 1) / N), so no gradient fits it
(scaled). Offered for a call of `var` or `std` (numpy's or an array's method) given `ddof` other than 0: the keyword
dropped. One candidate per such call; a forward fix, verified as one: every gradient passes and the forward then
matches the kind's reference.
Non-goal: a divisor written out (`/ (N - 1)`: the count families), and a backward that assumes N - 1 where forward
divides by N.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["ddof_edits"]


def ddof_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)) or stmt.value is None:
        return
    t = ctx.text
    for call in (n for n in ast.walk(stmt.value) if isinstance(n, ast.Call)):
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in ("var", "std", "nanvar", "nanstd"):
            continue
        for at, kw in enumerate(call.keywords):
            if kw.arg != "ddof" or isinstance(kw.value, ast.Constant) and kw.value.value == 0:
                continue
            # the keyword goes with the comma before it (every keyword follows the array, or an argument)
            before = [*call.args, *call.keywords[:at]]
            start = t.end(before[-1]) if before else t.start(kw)
            end = t.end(kw) if before or len(call.keywords) == 1 else t.start(call.keywords[at + 1])
            yield (Edit(start, end, "", f"take the variance over N, as the backward does: drop {t.of(kw)}", "ddof"),)
