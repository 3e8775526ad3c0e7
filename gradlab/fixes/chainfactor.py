"""Candidate family "chain-factor": the upstream gradient handed on without the parameter the forward multiplied its
output by (a layer norm's `dxhat = grad` where `grad * self.weight.data` belongs: the output is `xhat * gamma + beta`).

A forward that returns a product of a normalised or activated array and a learned scale (`self.xhat * self.gamma`)
sends its upstream gradient back through that scale first; a backward that binds the gradient of the array to the
upstream gradient itself has left it out. Offered for an assignment in a backward whose whole value is the upstream
gradient the backward receives (its first parameter besides self): the value times each attribute of self that the
forward's returned product (or the product part of a returned sum) multiplies by and that the forward does not bind
itself (the learned scale, not the array it keeps), at most MAX_FACTORS.
Non-goal: scalars (the forward-factor family's), a factor of a product the forward does not return.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.literals import forward_functions
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text

__all__ = ["chain_factor_edits"]

FAMILY = "chain-factor"
#: factors offered for one statement, at most
MAX_FACTORS = 2


def chain_factor_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or not isinstance(stmt.value, ast.Name) or "backward" not in func.name:
        return
    params = [a.arg for a in func.args.args if a.arg not in ("self", "ctx")]
    if not params or stmt.value.id != params[0]:
        return
    t = ctx.text
    factors: list[str] = []
    for forward in forward_functions(t.text, func):
        bound = {t.of(target) for n in ast.walk(forward) if isinstance(n, ast.Assign) for target in n.targets}
        for ret in (n.value for n in ast.walk(forward) if isinstance(n, ast.Return)):
            factors += [f for f in _scales(ret, t) if f not in bound] if ret is not None else []
    for factor in list(dict.fromkeys(factors))[:MAX_FACTORS]:
        yield (t.replace(stmt.value, f"{stmt.value.id} * {factor}", 11, f"carry {stmt.value.id} through {factor}, "
                         "which the forward multiplied its output by", family=FAMILY, need=0),)


def _scales(value: ast.expr, t: Text) -> list[str]:
    """The two attributes of a returned product (`self.xhat * self.gamma + self.beta`: both), `self.` ones only; the
    caller keeps the learned one, the attribute forward does not bind."""
    node = value.left if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add) else value
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return []
    sides = [t.of(s) for s in (node.left, node.right) if isinstance(s, ast.Attribute)]
    return [s for s in sides if s.startswith("self.")] if len(sides) == 2 else []
