"""Candidate family "axis", for an axis the code names once at the top of its module (`AXIS = 0`, read as
`x.mean(axis=AXIS)` by forward and backward alike): the constant itself set to another axis, one line where
every reduction's own edit would take one line each.

Offered for a statement that reduces over `axis=NAME`, where NAME is a module constant of one integer (the
rebuild runs the module's constants again, as edited: `gradlab.fixes.source.module_constants`).
Non-goal: constants of other meanings (a size, a rate: the setting family's).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["constant_axis_edits"]

#: the axes a constant is offered
_AXES = (0, 1, -1)


def constant_axis_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    del func
    t = ctx.text
    named = {k.value.id for n in ast.walk(stmt) if isinstance(n, ast.Call) for k in n.keywords
             if k.arg == "axis" and isinstance(k.value, ast.Name)}
    for name, (line, start, end, value) in _int_constants(t.text).items():
        if name not in named:
            continue
        for axis in _AXES:
            if axis != value:
                yield (Edit((line, start), (line, end), str(axis), f"take {name} = {axis}", "axis"),)


@functools.lru_cache(maxsize=8)
def _int_constants(text: str) -> dict[str, tuple[int, int, int, int]]:
    """Each module-level `NAME = <int>` of `text`, once only: (line, columns of the value, the value)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    found: dict[str, list[tuple[int, int, int, int]]] = {}
    lines = text.splitlines()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Constant) and type(value.value) is int and value.lineno == value.end_lineno and \
                    lines[value.lineno - 1].isascii():  # columns are bytes in the AST: only where they are characters
                found.setdefault(node.targets[0].id, []).append(
                    (value.lineno, value.col_offset, value.end_col_offset, value.value))  # type: ignore[arg-type]
    return {name: places[0] for name, places in found.items() if len(places) == 1}
