"""Candidate family "block-sum": an upsampling's gradient read from one cell of each block (`dout[:, :, ::s, ::s]`),
where every cell of the block is a copy of the input's element and their gradients add up:
`sum(dout[:, :, i::s, j::s] for i in range(s) for j in range(s))`.

An upsampling by repetition (`np.repeat`, `np.kron` with ones, nearest-neighbour indexing) copies each element of the
input into an s x s block of the output; the input's gradient is the sum of the block's gradients. A backward that
subsamples the upstream gradient at the block's first cells keeps one term of that sum (dropped-term). Offered for a
subscript of an upstream gradient (a gradient argument of the function) whose trailing slices all stride by one step:
every stride given an offset running over the step, summed; one candidate a subscript.
Non-goal: a block sum written as a reshape (`dout.reshape(N, C, H, s, W, s)` summed over the wrong axes: the axis
families'), and blocks of different steps along each axis.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.dilation import strided_tail
from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import gradient_params
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM

__all__ = ["block_sum_edits"]

#: the names given to the offsets, the first pair the statement does not use
_OFFSETS = (("i", "j"), ("p", "q"), ("u", "v"))


def block_sum_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    upstream = gradient_params(func)
    if not upstream or not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:
        return
    t = ctx.text
    used = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
    names = next((pair for pair in _OFFSETS if not used & set(pair)), None)
    if names is None:
        return
    for node in ast.walk(stmt.value):
        if not isinstance(node, ast.Subscript) or t.of(node.value) not in upstream:
            continue
        tail = strided_tail(node, t)
        if not tail or len(tail) > len(names):
            continue
        step = t.of(tail[0].step)  # type: ignore[arg-type]
        offsets = names[:len(tail)]
        index = t.between(t.start(node), t.start(tail[0]))
        index += ", ".join(f"{o}::{step}" for o in offsets) + t.between(t.end(tail[-1]), t.end(node))
        loops = " ".join(f"for {o} in range({step})" for o in offsets)
        yield (t.replace(node, f"sum({index} {loops})", ATOM,
                         "sum the gradients of every cell of each block, not of its first cell alone",
                         family="block-sum", need=0),)
