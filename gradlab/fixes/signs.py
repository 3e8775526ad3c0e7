"""Candidate family "abs-sign": the derivative of an absolute value written without its sign (a Huber loss's outer
branch `delta` where `delta * np.sign(d)` belongs, a mean absolute error's `1 / n` where `np.sign(d) / n` belongs).

`|d|` has the derivative `sign(d)`: a branch of an `np.where` (or a whole value) that reads no array of the layer (a
setting, a constant) where the layer's file takes an absolute value is the slope of `|d|` without its sign. Offered
for each branch of an `np.where` in a backward or a loss that reads no array (only names of settings and numbers),
when the file applies `np.abs` (or `abs`) to something: the branch times `np.sign` of each array the file takes the
absolute value of, at most MAX_ARRAYS of them.
Non-goal: a sign taken of the wrong array (the reference family's), a slope written with a comparison
(`(d > 0) * 2 - 1`).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence

__all__ = ["MAX_ARRAYS", "abs_sign_edits"]

#: arrays offered for one branch's sign, at most
MAX_ARRAYS = 2


def abs_sign_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Assign, ast.Return, ast.AugAssign)) or stmt.value is None:
        return
    t = ctx.text
    wheres = [n for n in ast.walk(stmt.value) if isinstance(n, ast.Call) and len(n.args) == 3 and
              t.of(n.func).split(".")[-1] == "where"]
    if not wheres:
        return
    arrays = [a for a in _absolute(t.text) if a in {t.of(n) for n in ast.walk(func) if isinstance(n, ast.Name)}]
    for where in wheres:
        for branch in where.args[1:]:
            if not _no_array(branch, ctx):
                continue
            written = t.of(branch) if precedence(branch) >= 11 else f"({t.of(branch)})"
            for a in arrays[:MAX_ARRAYS]:
                yield (Edit(t.start(branch), t.end(branch), f"{written} * {ctx.numpy}.sign({a})",
                            f"times the sign of {a}: the slope of |{a}| is its sign", "abs-sign"),)


def _no_array(node: ast.expr, ctx: Context) -> bool:
    """Whether `node` reads only numbers and settings (`delta`, `self.delta`, `1.0`), no array of the layer."""
    t = ctx.text
    names = [n for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ast.Load)]
    outer = [n for n in names if not any(n is not m and n in ast.walk(m) for m in names)]
    return all(t.of(n) in ctx.hypers or isinstance(n, ast.Name) and n.id.isupper() for n in outer) and \
        not any(isinstance(n, (ast.Call, ast.Subscript)) for n in ast.walk(node))


@functools.lru_cache(maxsize=8)
def _absolute(text: str) -> tuple[str, ...]:
    """The names the file takes the absolute value of (`np.abs(d)`, `abs(diff)`), in order."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ()
    return tuple(dict.fromkeys(ast.unparse(n.args[0]) for n in ast.walk(tree) if isinstance(n, ast.Call) and
                               len(n.args) == 1 and isinstance(n.args[0], ast.Name) and
                               ast.unparse(n.func).split(".")[-1] in ("abs", "absolute", "fabs")))
