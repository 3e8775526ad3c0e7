"""Candidate family "crop": a gradient of a padded array cut back to the input's size
(`dx_pad[:, :, pad:dx_pad.shape[2] - pad, pad:dx_pad.shape[3] - pad]`), where backward returns the padded one.

Offered in a backward that pads (`np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))`), with the name it pads
by, for each gradient array it returns or assigns by name, in the (N, C, H, W) layout. Written with the shape,
not `pad:-pad`, so that it holds at pad = 0 too. A crop written from the first row (`dx_pad[:, :, :H, :W]`, the
padding kept and the last rows lost) is shifted past the padding (`pad:pad + H`); one cut from the corner to the
padded size less both borders (`dout[:, :, :dout.shape[2] - 2 * p, ...]`, wherever the layer pads) starts a border in
and ends a border early (`p:dout.shape[2] - p`).
Non-goal: other layouts (channels last).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text, precedence

__all__ = ["crop_edits"]


def crop_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Return, ast.Assign)) or stmt.value is None:
        return
    yield from _cornered(stmt.value, ctx.text)
    pad = _pad_name(func, ctx)
    if pad is None:
        return
    t = ctx.text
    values = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
    for v in values:
        if isinstance(v, ast.Subscript):
            yield from _shifted(v, pad, t)
        if isinstance(v, ast.Name) and is_gradient(v.id):
            n = v.id
            cropped = f"{n}[:, :, {pad}:{n}.shape[2] - {pad}, {pad}:{n}.shape[3] - {pad}]"
            yield (t.replace(v, cropped, ATOM, f"cut the padding of {pad} off {n}", family="crop"),)


def _shifted(node: ast.Subscript, pad: str, t: Text) -> Iterator[tuple[Edit, ...]]:
    """`dx_pad[:, :, :H, :W]` cut from the padded gradient's first rows, shifted past the padding: every slice of the
    index that starts at 0 (`:H`, `0:H`) starts at the pad (`pad:pad + H`), all at once."""
    slices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    edits = [Edit(t.start(s), t.end(s), f"{pad}:{pad} + {t.of(s.upper)}", f"cut from {pad} on, past the padding",
                  "crop")
             for s in slices if isinstance(s, ast.Slice) and s.upper is not None and s.step is None and
             (s.lower is None or isinstance(s.lower, ast.Constant) and s.lower.value == 0) and
             precedence(s.upper) > 10]
    if edits:
        yield tuple(edits)


def _cornered(value: ast.expr, t: Text) -> Iterator[tuple[Edit, ...]]:
    """Every slice `:E - 2 * p` (or `- p * 2`) of a subscript in `value`, from the corner to the padded size less both
    borders, made `p:E - p`, all of one subscript at once: the input sits a border in on each side."""
    for node in ast.walk(value):
        if not isinstance(node, ast.Subscript):
            continue
        slices = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        edits = []
        for s in slices:
            if not isinstance(s, ast.Slice) or s.lower is not None or s.step is not None:
                continue
            border = _twice(s.upper, t)
            if border is not None and isinstance(s.upper, ast.BinOp):
                edits.append(Edit(t.start(s), t.end(s), f"{border}:{t.of(s.upper.left)} - {border}",
                                  f"cut a border of {border} off each side, not two off the end", "crop"))
        if edits:
            yield tuple(edits)


def _twice(upper: ast.expr | None, t: Text) -> str | None:
    """`p` of an upper bound `E - 2 * p` or `E - p * 2` (a name, attribute or subscript), else None."""
    if not isinstance(upper, ast.BinOp) or not isinstance(upper.op, ast.Sub) or \
            not isinstance(upper.right, ast.BinOp) or not isinstance(upper.right.op, ast.Mult):
        return None
    a, b = upper.right.left, upper.right.right
    two, border = (a, b) if isinstance(a, ast.Constant) and a.value == 2 else (b, a)
    if not isinstance(two, ast.Constant) or two.value != 2 or precedence(border) != ATOM or \
            isinstance(border, ast.Constant):
        return None
    return t.of(border)


def _pad_name(func: ast.FunctionDef, ctx: Context) -> str | None:
    """The name the function pads by: the first name in the widths of its `np.pad` call."""
    for n in ast.walk(func):
        if isinstance(n, ast.Call) and ctx.text.of(n.func) == f"{ctx.numpy}.pad" and len(n.args) >= 2:
            names = [m for m in ast.walk(n.args[1]) if isinstance(m, (ast.Name, ast.Attribute))]
            if names:
                return ctx.text.of(names[0])
    return None
