"""Candidate family "mask": the upstream gradient multiplied by a mask built from what forward saw
(`dout * (x > 0)`, `output_gradient * self.mask`), where backward lets it through every unit.

Two places: the upstream gradient where the value reads it (`return dout` → `return dout * (self.x > 0)`),
and the whole value replaced by the masked upstream, when the value applies the mask to the wrong array
(`np.maximum(dout, 0)`: the ReLU of the gradient, not of the input). The masks: those the layer keeps
(`self.mask`), then its inputs compared with 0 (`reads.inputs`), then what forward stored under another name,
as it is and with an axis added (`counted[..., None]`: a mask over (N, T) on a gradient over (N, T, V)).
Family "count": a mean's divisor that counts the batch (`x.shape[0]`, `N`, `len(x)`, `x.size`) where it counts
what a stored mask keeps (`counted.sum()`: the steps a label does not ignore); and a count of something else
(`len(dvalues[0])`, the classes) where the batch size belongs, by the name the code gives it (`samples`).
Non-goal: masks of other shapes than the gradient's (the check rejects them).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import gradient_params, inputs
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text, needed_at, parents_of, value_family

__all__ = ["count_edits", "mask_edits", "masks_of"]

#: stored arrays offered as a mask or a count, at most
MAX_STORED = 3


def masks_of(ctx: Context) -> list[str]:
    """The masks an edit may multiply in: the layer's own, then its inputs compared with 0, then what forward stored
    (`stored`), as it is and with an axis added."""
    own = [m for m in ctx.masks if "[" not in m][:2]
    return own + [f"({r} > 0)" for r in inputs(ctx)[:2]] + [m for s in stored(ctx) for m in (s, f"{s}[..., None]")]


def stored(ctx: Context) -> list[str]:
    """What forward stored, not named a mask (those are `ctx.masks`) nor a gradient: arrays a mask or a count may
    be, at most MAX_STORED."""
    return [c for c in ctx.cached if not is_gradient(c) and "cache" not in c.lower() and "mask" not in c.lower()
            and "[" not in c and c not in ctx.hypers][:MAX_STORED]


@value_family
def count_edits(value: ast.expr, ctx: Context, t: Text) -> Iterator[tuple[Edit, ...]]:
    counted = [*(m for m in ctx.masks if "[" not in m), *stored(ctx)]
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp) or not isinstance(node.op, ast.Div) or not _counts_batch(node.right, ctx):
            continue
        # a count of another axis (`len(dvalues[0])`, the classes) where the batch's belongs: the code's own name for it
        for b in [b for b in ctx.batch if b != t.of(node.right) and "shape" not in b][:2]:
            yield (t.replace(node.right, b, ATOM, f"divide by the batch size {b}, where {t.of(node.right)} is",
                             family="count", need=needed_at(node.right, node)),)
        for m in counted:
            yield (t.replace(node.right, f"{m}.sum()", ATOM, f"divide by what {m} keeps, {m}.sum()", family="count",
                             need=needed_at(node.right, node)),)


def _counts_batch(node: ast.expr, ctx: Context) -> bool:
    """Whether `node` counts the batch or every element: `x.shape[0]`, a batch size's name, `len(x)`, `x.size`."""
    t = ctx.text
    return t.of(node) in ctx.batch or isinstance(node, ast.Attribute) and node.attr == "size" or \
        isinstance(node, ast.Call) and t.of(node.func) == "len" or \
        isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape"


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
