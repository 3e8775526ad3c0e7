"""Candidate family "bias-sum": a bias's gradient left as the zeros it was made of (`self.db = np.zeros_like(self.b)`,
and the loop that should have added into it never does), computed as the upstream gradient summed over every axis
but the bias's own.

A bias is added to every sample (and every position, every time step): its gradient is the upstream gradient summed
over the batch axis (an affine layer), over the batch and the spatial axes (a convolution), or over the batch and
time axes (a temporal layer). Offered for an assignment of zeros to a gradient the check found all zeros, that no
later statement of the backward writes into or reads but to return it: its value replaced by the upstream gradient
summed over each of those sets of axes (`np.sum(dout, axis=(0, 2, 3))`), one candidate a set.
Non-goal: a weight's gradient left as zeros (`gradlab.fixes.zeros`), a bias summed over the wrong axes (the axis
edits of `gradlab.fixes.expressions`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import gradient_params, statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text

__all__ = ["bias_sum_edits"]

FAMILY = "bias-sum"
#: the axes a bias's gradient sums over: dense, (N, C, H, W), (N, T, H)
_AXES = ("0", "(0, 2, 3)", "(0, 1)")
_ZEROS = {"zeros", "zeros_like"}


def bias_sum_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.value, ast.Call):
        return
    t = ctx.text
    target = stmt.targets[0]
    called = t.of(stmt.value.func).split(".")[-1]
    name = t.of(target)
    if called not in _ZEROS or not isinstance(target, (ast.Name, ast.Attribute)) or \
            name.split(".")[-1] not in ctx.failing:
        return
    later = [s for s in statements_of(func) if s.lineno > stmt.lineno]
    # written into later, or read by anything but the return (`db + row` in the loop: the slip is there), it is not
    # a gradient the code forgot
    if any(_writes(s, name, t) or not isinstance(s, ast.Return) and _reads(s, name, t) for s in later):
        return
    for upstream in gradient_params(func)[:1]:
        for axes in _AXES:
            yield (t.replace(stmt.value, f"{ctx.numpy}.sum({upstream}, axis={axes})", 20,
                             f"sum {upstream} over axes {axes}, the axes the bias is shared along", family=FAMILY,
                             need=0),)


def _writes(stmt: ast.stmt, name: str, t: Text) -> bool:
    """Whether `stmt` writes `name` or an element of it."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] \
        if isinstance(stmt, (ast.AugAssign, ast.AnnAssign)) else []
    for target in targets:
        root = target
        while isinstance(root, ast.Subscript):
            root = root.value
        if t.of(root) == name:
            return True
    return any(isinstance(n, ast.Call) and any(t.of(a) == name for a in n.args)
               for n in ast.walk(stmt)) if isinstance(stmt, ast.Expr) else False


def _reads(stmt: ast.stmt, name: str, t: Text) -> bool:
    return any(isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ast.Load) and t.of(n) == name
               for n in ast.walk(stmt))
