"""Candidate family "gaussian": the normal density written without the half in its exponent.

GELU's derivative, `Phi(z) + z * phi(z)`, needs the standard normal density phi(z) = exp(-z**2 / 2) / sqrt(2 pi);
written `np.exp(-z ** 2) / np.sqrt(2 * np.pi)`, the density of another spread, the second term is wrong wherever z is
not 0 (a mismatch). Offered for a call of exp given the negative of a square (`-z ** 2`, `-(z * z)`): the square
halved. And where a statement's whole value is the normal CDF alone (`0.5 * (1 + erf(z / np.sqrt(2)))`, the product
rule's second term dropped): `+ z * np.exp(-z ** 2 / 2) / np.sqrt(2 * np.pi)` added. One candidate per such call.
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
    z = _cdf_of(stmt.value)
    if z is not None:
        np_ = ctx.numpy
        term = f"{t.atom(z)} * {np_}.exp(-{t.atom(z)} ** 2 / 2) / {np_}.sqrt(2 * {np_}.pi)"
        yield (Edit(t.end(stmt.value), t.end(stmt.value), f" + {term}", f"add the product rule's second term, {term}",
                    "gaussian"),)
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


def _cdf_of(value: ast.expr) -> ast.expr | None:
    """`z` where `value` is the normal CDF of it alone, `0.5 * (1 + erf(z / sqrt(2)))` (its factors in any order)."""
    if not isinstance(value, ast.BinOp) or not isinstance(value.op, ast.Mult):
        return None
    sides = (value.left, value.right)
    half = [s for s in sides if isinstance(s, ast.Constant) and s.value == 0.5]
    rest = [s for s in sides if s not in half]
    if len(half) != 1 or len(rest) != 1:
        return None
    one = rest[0]
    if not (isinstance(one, ast.BinOp) and isinstance(one.op, ast.Add) and isinstance(one.left, ast.Constant) and
            one.left.value == 1 and isinstance(one.right, ast.Call)):
        return None
    erf = one.right
    name = erf.func.attr if isinstance(erf.func, ast.Attribute) else getattr(erf.func, "id", "")
    if name.lstrip("_") != "erf" or len(erf.args) != 1 or not isinstance(erf.args[0], ast.BinOp) or \
            not isinstance(erf.args[0].op, ast.Div):
        return None
    return erf.args[0].left
