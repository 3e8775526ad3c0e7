"""Candidate family "swapaxes": a batched product with one operand not transposed over its last two axes.

In a batched matrix product (`d_scaled @ self.Q`, arrays `(N, T, S)` and `(N, T, d)`), the transposed operand is
written with its last two axes swapped (`np.swapaxes(d_scaled, -1, -2)`), never `.T`, which reverses every axis and
so also the batch's. A product left untransposed crashes where the sizes differ (T != S) or, where they agree, mixes
rows (transposed). Offered for a `@` product in a file that writes batched transposes so (`swapaxes(`, or a
`transpose(...)` that keeps the leading axes): each operand with its last two axes swapped, written
`np.swapaxes(a, -1, -2)` (right for any number of leading axes); two candidates a product.
Non-goal: 2-D products (`.T`: the transpose family of `gradlab.fixes.expressions`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import written_value

__all__ = ["last_axes_edits"]

#: a transpose of the last two axes of a 3-D or 4-D array, as files write it when the leading axes are a batch
_BATCHED = re.compile(r"swapaxes\(|\.transpose\(0, 2, 1\)|\.transpose\(0, 1, 3, 2\)")


def last_axes_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    value = written_value(stmt)
    t = ctx.text
    if value is None or not _BATCHED.search(t.text):
        return
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.MatMult):
            continue
        for operand in (node.left, node.right):
            if isinstance(operand, ast.Call) and "swapaxes" in t.of(operand.func):
                continue  # already transposed: taking it back is the transpose family's
            new = f"{ctx.numpy}.swapaxes({t.of(operand)}, -1, -2)"
            yield (Edit(t.start(operand), t.end(operand), new, f"swap the last two axes of {t.of(operand)}: {new}",
                        "swapaxes"),)
