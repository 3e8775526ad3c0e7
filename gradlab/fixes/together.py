"""Candidate edits of a whole layer ("complement"): a scalar setting read as its complement, or the complement as
the setting, in forward and backward at once.

A dropout whose forward divides the kept units by the drop ratio `p` where the kept fraction `1 - p` belongs, and
whose backward agrees with it (`dout * mask / p`), has gradients that are right for its forward: the check fails
the forward's law (scaled), and an edit of one function alone leaves the two disagreeing. The complement family's
edit of each statement (`gradlab.fixes.reductions.complement_edits`: `/ p` to `/ (1 - p)`, or back) is made in every
statement at once, when the same setting is so read in two functions or more, on at most three lines.
Non-goal: settings read otherwise than as a factor or divisor (a comparison with the random draw is the mask's).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.reductions import complement_edits
from gradlab.fixes.source import Scope

__all__ = ["complement_together"]

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
