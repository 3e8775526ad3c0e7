"""Candidate family "gaussian": the normal density written without the half in its exponent.

GELU's derivative, `Phi(z) + z * phi(z)`, needs the standard normal density phi(z) = exp(-z**2 / 2) / sqrt(2 pi);
written `np.exp(-z ** 2) / np.sqrt(2 * np.pi)`, the density of another spread, the second term is wrong wherever z is
not 0 (a mismatch). Offered for a call of exp given the negative of a square (`-z ** 2`, `-(z * z)`): the square
halved. One candidate per such call.
Non-goal: a density whose constant is wrong (`sqrt(pi)` for `sqrt(2 * pi)`: the literal and factor families), and a
Gaussian of another spread written on purpose (a layer whose check passes is never searched).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["gaussian_edits"]


def gaussian_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)) or stmt.value is None:
        return
    t = ctx.text
    for call in (n for n in ast.walk(stmt.value) if isinstance(n, ast.Call)):
        if not (isinstance(call.func, ast.Attribute) and call.func.attr == "exp" and len(call.args) == 1):
            continue
        arg = call.args[0]
        if isinstance(arg, ast.UnaryOp) and isinstance(arg.op, ast.USub) and _square(arg.operand):
            new = f"{t.of(arg)} / 2"
            yield (Edit(t.start(arg), t.end(arg), new, f"halve the square in the normal density: exp({new})",
                        "gaussian"),)


def _square(node: ast.expr) -> bool:
    if not isinstance(node, ast.BinOp):
        return False
    if isinstance(node.op, ast.Pow):
        return isinstance(node.right, ast.Constant) and node.right.value == 2
    return isinstance(node.op, ast.Mult) and ast.dump(node.left) == ast.dump(node.right)
