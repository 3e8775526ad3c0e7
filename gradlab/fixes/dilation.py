"""Candidate family "dilation": a gradient read back at a dilation's strided positions on fewer axes than the layer
dilates (`dLdZ[:, :, ::k]` where forward wrote `Z[:, :, ::k, ::k] = A`: the height subsampled, the width not).

A layer that upsamples by dilation writes its input at every k-th position of each spatial axis, and its backward
reads the gradient back at those positions; a subscript that strides fewer axes keeps the other axes whole
(wrong-shape). Offered for a subscript of a backward statement whose trailing slices all stride by one step (`::k`),
when a subscript of the layer's other code strides more axes: the last strided slice repeated until the counts match,
in the backward's own spelling of the step; one candidate a subscript.
Non-goal: strides with a start or an end (a crop's), and a dilation written with `np.insert` or a loop.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.keepshape import class_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text

__all__ = ["dilation_edits", "strided_tail"]


def strided_tail(node: ast.Subscript, t: Text) -> list[ast.Slice]:
    """The trailing slices of `node`'s index that are strides alone (`::k`), all of one step's text."""
    slices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    tail: list[ast.Slice] = []
    for s in reversed(slices):
        if not isinstance(s, ast.Slice) or s.lower is not None or s.upper is not None or s.step is None or \
                tail and t.of(s.step) != t.of(tail[0].step):  # type: ignore[arg-type]
            break
        tail.append(s)
    return tail[::-1]


def dilation_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if func.name != "backward" and "backward" not in func.name:
        return
    t = ctx.text
    here = [n for n in ast.walk(stmt) if isinstance(n, ast.Subscript) and strided_tail(n, t)]
    if not here:
        return
    cls = class_of(t.text, func.lineno) if ctx.in_class else None
    scope: ast.AST = cls if cls is not None else ast.parse(t.text)
    most = max((len(strided_tail(n, t)) for n in ast.walk(scope) if isinstance(n, ast.Subscript)), default=0)
    for node in here:
        tail = strided_tail(node, t)
        if len(tail) < most:
            last = tail[-1]
            more = "".join(f", {t.of(last)}" for _ in range(most - len(tail)))
            yield (Edit(t.end(last), t.end(last), more,
                        f"read every dilated axis at its stride ({most} of them), as forward wrote them", "dilation"),)
