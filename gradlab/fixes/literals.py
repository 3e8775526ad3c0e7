"""Candidate family "literal": a number written in the backward where the layer's own setting belongs (a leaky ReLU's
slope written `0.01 * dout` in a layer built with `alpha=0.2`, a dropout's `0.5` where its `self.p` is).

A layer that keeps a scalar setting (`self.alpha` set from a constructor argument with a number default, a slope read
from a parameter dict, a number bound in the class body) and reads it in its forward, while its backward writes a
number the forward never writes, has most likely copied the setting's usual value instead of naming it. Offered for
each number of a backward statement other than 0 and 1 (which are the structure of a formula, not a setting) that
no statement of the layer's forward writes: that number replaced by each such setting, at most MAX_SETTINGS of them.
Not offered where the check measured one factor for the whole gradient (a stray `2.0 *`: a setting valued 1 in
the check would pass in its place and be wrong at any other value).
Non-goal: numbers the forward writes too (a SELU's constants: the edit would change nothing the forward disagrees
with), a setting the code never names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.branches import class_constants
from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM

__all__ = ["MAX_SETTINGS", "forward_functions", "literal_edits"]

FAMILY = "literal"
#: the settings one number is replaced by, at most
MAX_SETTINGS = 4


def literal_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    # one number measured for the whole gradient is a stray constant (the drop and factor families'), never a setting
    # (which, valued 1 in the check, would only hide it)
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)) or stmt.value is None or ctx.factor is not None:
        return
    t = ctx.text
    forwards = forward_functions(t.text, func)
    if not forwards:
        return
    written = {n.value for f in forwards for n in ast.walk(f) if _is_number(n)}  # type: ignore[attr-defined]
    settings = [*ctx.hypers, *(f"self.{n}" for n in class_constants(t.text) if ctx.in_class)]
    read = {t.of(n) for f in forwards for n in ast.walk(f) if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript))}
    settings = [s for s in dict.fromkeys(settings) if s in read][:MAX_SETTINGS]
    for node in ast.walk(stmt.value):
        if not _is_number(node) or node.value in (0, 1) or node.value in written:  # type: ignore[attr-defined]
            continue
        for s in settings:
            yield (t.replace(node, s, ATOM, f"use the layer's setting {s} where {t.of(node)} is written",
                             family=FAMILY),)


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


def forward_functions(text: str, func: ast.FunctionDef) -> list[ast.FunctionDef]:
    """The forward of the class `func` is a method of (`forward`, `__call__`), or the module's `*_forward` functions
    beside a `*_backward` one."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        methods = [m for m in cls.body if isinstance(m, ast.FunctionDef)]
        if any(m.lineno == func.lineno and m.name == func.name for m in methods):
            return [m for m in methods if m.name in ("forward", "__call__", "forward_pass", "fprop")]
    if func.name.endswith("_backward") or "backward" in func.name:
        stem = func.name.split("backward")[0]
        return [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name.startswith(stem) and
                "forward" in f.name]
    return []
