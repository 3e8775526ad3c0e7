"""Candidate edits of a whole layer that its functions need together: a scalar setting read as its complement, or the
complement as the setting ("complement"); an input centred by the batch's mean ("drop"). In forward and backward at
once.

A dropout whose forward divides the kept units by the drop ratio `p` where the kept fraction `1 - p` belongs, and
whose backward agrees with it (`dout * mask / p`), has gradients that are right for its forward: the check fails
the forward's law (scaled), and an edit of one function alone leaves the two disagreeing. The complement family's
edit of each statement (`gradlab.fixes.reductions.complement_edits`: `/ p` to `/ (1 - p)`, or back) is made in every
statement at once, when the same setting is so read in two functions or more, on at most three lines.
An input centred by its mean over the batch's axis 0 (`xc = x - x.mean(axis=0)`: every output then depends on the
whole batch, couples-samples) has a backward that undoes the centring the same way (`dxc - dxc.mean(axis=0)`):
removed in one function alone, the two disagree; every such centring is removed at once (the forward then matches
the kind's reference, as a fix of a forward bug must).
Non-goal: settings read otherwise than as a factor or divisor (a comparison with the random draw is the mask's);
a centring over the features (a layer norm's), which is the layer's own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.reductions import complement_edits
from gradlab.fixes.source import Scope
from gradlab.fixes.spans import Text, needed_at, parents_of, precedence

__all__ = ["complement_together", "uncentred_together"]

#: the most lines one candidate changes
MAX_LINES = 3


def complement_together(scopes: Sequence[tuple[Scope, Context]]) -> Iterator[tuple[Edit, ...]]:
    groups: dict[tuple[str, str], list[tuple[int, Edit]]] = {}
    for order, (scope, ctx) in enumerate(scopes):
        for stmt in statements_of(scope.node):
            for cand in complement_edits(stmt, ctx, scope.node):
                e = cand[0]
                groups.setdefault((ctx.text.between(e.start, e.end), e.new), []).append((order, e))
    for (old, new), found in groups.items():
        edits = list({e.start: e for _, e in found}.values())
        lines = {e.start[0] for e in edits}
        if len({order for order, _ in found}) < 2 or len(lines) > MAX_LINES or len(lines) < len(edits):
            continue
        why = f"use {new.strip('()')} where {old.strip('()')} is, in forward and backward"
        yield tuple(Edit(e.start, e.end, e.new, why, "complement") for e in sorted(edits, key=lambda e: e.start))


def uncentred_together(scopes: Sequence[tuple[Scope, Context]]) -> Iterator[tuple[Edit, ...]]:
    found: list[tuple[int, Edit]] = []
    for order, (scope, ctx) in enumerate(scopes):
        t = ctx.text
        parents = parents_of(scope.node)
        for node in ast.walk(scope.node):
            centred = _centred(node, t)
            if centred is not None:
                why = f"do not centre {t.of(centred)} by its mean over the batch, in forward and backward"
                found.append((order, t.replace(node, t.of(centred), precedence(centred), why, family="drop",
                                               need=needed_at(node, parents.get(id(node))))))
    lines = {e.start[0] for _, e in found}
    if len({order for order, _ in found}) >= 2 and len(lines) <= MAX_LINES and len(lines) == len(found):
        yield tuple(e for _, e in found)


def _centred(node: ast.AST, t: Text) -> ast.expr | None:
    """`a` of `a - a.mean(axis=0)` or `a - np.mean(a, axis=0)`, else None."""
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.right, ast.Call)):
        return None
    call = node.right
    if not isinstance(call.func, ast.Attribute) or call.func.attr != "mean":
        return None
    axis = next((k.value for k in call.keywords if k.arg == "axis"), call.args[1] if len(call.args) > 1 else None)
    if not (isinstance(axis, ast.Constant) and axis.value == 0):
        return None
    of = call.args[0] if call.args and len(call.args) >= 1 and isinstance(call.func.value, ast.Name) and \
        t.of(call.func.value) in ("np", "numpy") else call.func.value
    return node.left if t.of(of) == t.of(node.left) else None
