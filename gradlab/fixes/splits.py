"""Candidate edits of a whole layer ("axis"): an axis split in two by a reshape with its two parts in the wrong order
(`x.reshape(N, C // G, G, H, W)` where `x.reshape(N, G, C // G, H, W)` belongs: a group norm's groups strided across
the channels), the parts swapped and every literal axis tuple the layer reduces or normalises over relabelled with
them, in forward and backward at once.

A group norm reshapes the channels into (groups, channels per group) and normalises over the second part, H and W;
written (channels per group, groups), each "group" gathers every G-th channel, and forward and backward agree with
each other (couples-samples is not measured, the forward's law is). Swapping the reshape's parts alone leaves the
axes it is normalised over naming the wrong part: an axis tuple that names one part and not the other
(`(1, 3, 4)`) names the other after the swap (`(2, 3, 4)`), in every call of the layer's functions that passes one
(a reduction's `axis=`, a helper's argument) of the split array's rank (it names the reshape's last axis: `(0, 2, 3)`
of the unsplit (N, C, H, W) stays). Offered for a reshape of two or more arguments with two neighbours of
the form `A // B, B` (or `B, A // B`), in a layer whose axis tuples change on at most two other lines.
Non-goal: a split written with `-1` for one part (`x.reshape(N, G, -1, H, W)` swapped is `x.reshape(N, -1, G, H, W)`:
the reshape family's), axes given by name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.rebuild import Edit
from gradlab.fixes.source import Site
from gradlab.fixes.spans import Text

__all__ = ["split_order_edits"]

#: the most lines one candidate changes
MAX_LINES = 3


def split_order_edits(site: Site) -> Iterator[tuple[Edit, ...]]:
    t = Text(site.text)
    scopes = [sc for sc in site.scopes if sc.role != "helper"]
    tuples = [n for sc in scopes for n in ast.walk(sc.node) if isinstance(n, ast.Call)
              for n in [*n.args, *(k.value for k in n.keywords)] if _axes(n) is not None]
    for sc in scopes:
        for call in (n for n in ast.walk(sc.node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                     and n.func.attr == "reshape"):
            parts = call.args[0].elts if len(call.args) == 1 and isinstance(call.args[0], ast.Tuple) else call.args
            for i in range(len(parts) - 1):
                if not _split(parts[i], parts[i + 1], t):
                    continue
                why = f"split the axis as ({t.of(parts[i + 1])}, {t.of(parts[i])}), and take every axis after it so"
                edits = [Edit(t.start(parts[i]), t.end(parts[i + 1]), f"{t.of(parts[i + 1])}, {t.of(parts[i])}", why,
                              "axis")]
                for node in tuples:
                    axes = _axes(node)
                    assert axes is not None
                    if (i in axes) != (i + 1 in axes) and max(axes) == len(parts) - 1:
                        moved = sorted(i + 1 if a == i else i if a == i + 1 else a for a in axes)
                        edits.append(Edit(t.start(node), t.end(node), f"({', '.join(map(str, moved))})", why, "axis"))
                if len(edits) > 1 and len({e.start[0] for e in edits}) <= MAX_LINES:
                    yield tuple(edits)


def _split(a: ast.expr, b: ast.expr, t: Text) -> bool:
    """Whether `a, b` are the two parts of one axis split by a floor division: `C // G, G` or `G, C // G`."""
    def part(whole: ast.expr, other: ast.expr) -> bool:
        return isinstance(whole, ast.BinOp) and isinstance(whole.op, ast.FloorDiv) and t.of(whole.right) == t.of(other)
    return part(a, b) or part(b, a)


def _axes(node: ast.expr) -> tuple[int, ...] | None:
    """The axes of a literal tuple of two or more non-negative ints (`(1, 3, 4)`), else None."""
    if not isinstance(node, ast.Tuple) or len(node.elts) < 2 or \
            not all(isinstance(e, ast.Constant) and type(e.value) is int and e.value >= 0 for e in node.elts):
        return None
    return tuple(e.value for e in node.elts)  # type: ignore[attr-defined]
