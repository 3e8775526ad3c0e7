"""Candidate family "cap": a mask that lets the gradient through past the other bound of a clip.

A forward that clips its input to both sides (`np.clip(x, 0, 6)`: ReLU6, a hard tanh; `np.minimum(np.maximum(x, lo),
hi)`) is flat beyond each bound; a mask written for one bound only (`x > 0`, ReLU's) sends gradient where forward
capped (misrouted). The mask's comparison gets the other bound's too: `(x > 0) & (x < 6.0)`. Offered for a
comparison of the clipped array with one bound, in a file whose code clips that same array to both (or the array
forward keeps under another name for backward: `self.x = x`).
Non-goal: bounds the code does not write (a cap learnt or passed in at run time is still read from its name, as
written), and masks built otherwise than by a comparison (`np.where` of another array).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, needed_at, parents_of

__all__ = ["cap_edits"]

_ABOVE = (ast.Gt, ast.GtE)
_BELOW = (ast.Lt, ast.LtE)


def cap_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, (ast.Assign, ast.Return, ast.AugAssign)) or stmt.value is None:
        return
    t = ctx.text
    bounds = _clipped(t.text, ctx.numpy)
    if not bounds:
        return
    parents = parents_of(stmt.value)
    for node in ast.walk(stmt.value):
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, op = t.of(node.left), node.ops[0]
        if left not in bounds or isinstance(parents.get(id(node)), ast.BinOp) and \
                isinstance(parents[id(node)].op, ast.BitAnd):  # type: ignore[attr-defined]
            continue  # one side of a mask with both already
        lo, hi = bounds[left]
        other = f"{left} < {hi}" if isinstance(op, _ABOVE) else f"{left} > {lo}" if isinstance(op, _BELOW) else None
        if other is None:
            continue
        new = f"({t.of(node)}) & ({other})"
        yield (t.replace(node, new, 7, f"let the gradient through only where forward did not clip: {other} too",
                         family="cap", need=needed_at(node, parents.get(id(node)))),)


@functools.lru_cache(maxsize=16)
def _clipped(text: str, numpy: str) -> dict[str, tuple[str, str]]:
    """{the array's text: (lower bound's text, upper bound's text)} of each clip to both sides in `text`."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    t = Text(text)
    out: dict[str, tuple[str, str]] = {}
    for n in ast.walk(tree):
        if not isinstance(n, ast.Call) or len(n.args) < 2 or n.keywords:
            continue
        name = t.of(n.func)
        if name == f"{numpy}.clip" and len(n.args) == 3:
            out.setdefault(t.of(n.args[0]), (t.of(n.args[1]), t.of(n.args[2])))
        inner = n.args[0]
        if name in (f"{numpy}.minimum", f"{numpy}.maximum") and len(n.args) == 2 and isinstance(inner, ast.Call) \
                and len(inner.args) == 2 and not inner.keywords:
            pair = {name: t.of(n.args[1]), t.of(inner.func): t.of(inner.args[1])}
            if set(pair) == {f"{numpy}.minimum", f"{numpy}.maximum"}:
                out.setdefault(t.of(inner.args[0]), (pair[f"{numpy}.maximum"], pair[f"{numpy}.minimum"]))
    # the clipped array as forward keeps it for backward (`self.x = x`, then `np.clip(x, 0, 6)`): the same bounds
    for n in ast.walk(tree):
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.value, (ast.Name, ast.Attribute)) \
                and isinstance(n.targets[0], (ast.Name, ast.Attribute)) and t.of(n.value) in out:
            out.setdefault(t.of(n.targets[0]), out[t.of(n.value)])
    return out
