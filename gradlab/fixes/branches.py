"""Candidate family "branch": one branch of a piecewise derivative without the constant the forward scales that
branch by (a SELU's or ELU's `np.exp(x)` where `alpha * np.exp(x)` belongs, a leaky ReLU's `1` where its slope is).

The check measures such a bug as a gradient right on one side of a threshold and off by a constant factor on the
other (scaled). Offered for a backward's `np.where(condition, a, b)`: each branch that is not a literal zero
multiplied by each scalar setting the layer has (`self.alpha` set in its class body or constructor, a slope passed
in a parameter dict), at most MAX_SETTINGS of them: a few candidates a `where`, verified like every candidate.
Non-goal: a factor the code does not name (a measured constant is the factor family's), branches written with
masks rather than `where` (the mask family's).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, precedence, written_value

__all__ = ["branch_edits", "class_constants"]

FAMILY = "branch"
#: the settings one branch is offered multiplied by, at most
MAX_SETTINGS = 4


def branch_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    settings = list(dict.fromkeys([*ctx.hypers, *(f"self.{n}" for n in class_constants(t.text) if ctx.in_class)]))
    settings = [s for s in settings if s in t.text][:MAX_SETTINGS]
    if not settings:
        return
    for node in ast.walk(value):
        if not (isinstance(node, ast.Call) and t.of(node.func) == f"{ctx.numpy}.where" and len(node.args) == 3):
            continue
        for branch in node.args[1:]:
            if isinstance(branch, ast.Constant) and branch.value == 0:
                continue
            text = t.of(branch) if precedence(branch) >= 11 or precedence(branch) == ATOM else f"({t.of(branch)})"
            for s in settings:
                if s in t.of(branch):
                    continue
                yield (Edit(t.start(branch), t.end(branch), f"{s} * {text}",
                            f"scale that branch of the derivative by {s}, as forward scales it", FAMILY),)


@functools.lru_cache(maxsize=16)
def class_constants(text: str) -> tuple[str, ...]:
    """The names a class body binds to a number (`alpha = 1.6732632423543772`)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ()
    out: list[str] = []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        for st in cls.body:
            if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name) and \
                    isinstance(st.value, ast.Constant) and type(st.value.value) in (int, float):
                out.append(st.targets[0].id)
    return tuple(dict.fromkeys(out))
