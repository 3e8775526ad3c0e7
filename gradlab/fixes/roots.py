"""Candidate family "root": the 1/2 of a square root's derivative (d sqrt(v)/dv = 0.5 / sqrt(v)) given to the
gradient of what the layer takes the root of, where backward left it out (`dvar = dstd / std`).

Offered for an assignment to the gradient of a name the layer's code reads inside a square root anywhere in the
file (`std = np.sqrt(var + eps)`: `dvar`, `d_var`, `grad_var`), when its value has no 0.5 of its own: one
candidate, `0.5 * value`.
Non-goal: other powers (`** 0.5`, `** -0.5` carry their exponent; a slip there is the factor family's).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence

__all__ = ["root_edits"]


def root_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func  # the root may be taken in forward, the gradient written in backward: the file says which
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name):
        return
    t = ctx.text
    name = stmt.targets[0].id
    rooted = _rooted(t.text, ctx.numpy)
    if not any(name in (f"d{r}", f"d_{r}", f"grad_{r}") for r in rooted) or "0.5" in t.of(stmt.value) or \
            "/ 2" in t.of(stmt.value):
        return
    value = t.of(stmt.value) if precedence(stmt.value) >= 11 else f"({t.of(stmt.value)})"
    yield (t.replace(stmt.value, f"0.5 * {value}", 11, f"the root's derivative has a 1/2: 0.5 * {t.of(stmt.value)}",
                     family="root", need=0),)


@functools.lru_cache(maxsize=8)
def _rooted(text: str, numpy: str) -> frozenset[str]:
    """The names the file reads inside a square root (`np.sqrt(var + eps)`: var, eps)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return frozenset()
    return frozenset(n.id for call in ast.walk(tree) if isinstance(call, ast.Call) and
                     isinstance(call.func, ast.Attribute) and call.func.attr == "sqrt" and
                     isinstance(call.func.value, ast.Name) and call.func.value.id in (numpy, "math")
                     for arg in call.args for n in ast.walk(arg) if isinstance(n, ast.Name))
