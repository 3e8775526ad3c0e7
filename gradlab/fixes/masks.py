"""Candidate family "mask": the upstream gradient multiplied by a mask built from what forward saw
(`dout * (x > 0)`, `output_gradient * self.mask`), where backward lets it through every unit.

Two places: the upstream gradient where the value reads it (`return dout` → `return dout * (self.x > 0)`),
and the whole value replaced by the masked upstream, when the value applies the mask to the wrong array
(`np.maximum(dout, 0)`: the ReLU of the gradient, not of the input). The masks: those the layer keeps
(`self.mask`), then its inputs compared with 0 (`reads.inputs`).
Non-goal: masks of other shapes than the gradient's (the check rejects them).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import gradient_params, inputs
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import needed_at, parents_of

__all__ = ["mask_edits", "masks_of"]


def masks_of(ctx: Context) -> list[str]:
    """The masks an edit may multiply in: the layer's own, then its inputs compared with 0."""
    own = [m for m in ctx.masks if "[" not in m][:2]
    return own + [f"({r} > 0)" for r in inputs(ctx)[:2]]


def mask_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:
        return
    t = ctx.text
    upstream = gradient_params(func)
    value = stmt.value
    parents = parents_of(value)
    here = [n for n in ast.walk(value) if isinstance(n, ast.Name) and n.id in upstream]
    for mask in masks_of(ctx):
        for node in here:
            yield (t.replace(node, f"{node.id} * {mask}", 11, f"let {node.id} through where {mask} only",
                             family="mask", need=needed_at(node, parents.get(id(node)))),)
        if here and not isinstance(value, ast.Name):
            name = here[0].id
            yield (t.replace(value, f"{name} * {mask}", 11, f"{name} through the mask {mask}, nothing else",
                             family="mask", need=0),)
