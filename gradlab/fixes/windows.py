"""Candidate family "window": a pooling window's gradient sent to the window's maximum only.

A max pool's backward that adds the upstream gradient to a whole window of the input's gradient
(`dx[:, :, i*s:i*s+ph, j*s:j*s+pw] += dout[:, :, i, j][:, :, None, None]`) gives every element of the window
what only the maximum is due. The mask is the window of the array the gradient was made in the shape of
(`dx = np.zeros_like(x)`: `x[...]` with the same index) compared with its maximum over the window's axes
(those the index slices with bounds). Offered for an indexed `+=` into such an array.
Non-goal: ties (two equal maxima both get the gradient; the check's inputs have none) and windows indexed
otherwise than by slices and integers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence

__all__ = ["window_edits"]

_ZEROS = {"zeros_like", "zeros"}


def window_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.AugAssign) or not isinstance(stmt.op, ast.Add) or \
            not isinstance(stmt.target, ast.Subscript):
        return
    t = ctx.text
    grad = t.of(stmt.target.value)
    source = _made_like(func, grad, ctx, before=stmt.lineno)
    axes = _window_axes(stmt.target.slice)
    if source is None or axes is None:
        return
    window = f"{source}[{t.of(stmt.target.slice)}]"
    top = f"{window}.max()" if axes[1] else \
        f"{window}.max(axis={axes[0][0] if len(axes[0]) == 1 else tuple(axes[0])}, keepdims=True)"
    value = t.of(stmt.value) if precedence(stmt.value) >= 11 else f"({t.of(stmt.value)})"
    yield (t.replace(stmt.value, f"{value} * ({window} == {top})", 11,
                     f"send the gradient to the maximum of the window of {source} only", family="window", need=0),)


def _made_like(func: ast.FunctionDef, grad: str, ctx: Context, before: int) -> str | None:
    """The array `grad` was made in the shape of, before line `before`: `x` of `dx = np.zeros_like(x)` or of
    `dx = np.zeros(x.shape)`."""
    found = None
    for st in statements_of(func):
        if st.lineno >= before or not isinstance(st, ast.Assign) or len(st.targets) != 1 or \
                ctx.text.of(st.targets[0]) != grad or not isinstance(st.value, ast.Call) or len(st.value.args) != 1:
            continue
        call, arg = st.value, st.value.args[0]
        name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        if name == "zeros_like":
            found = ctx.text.of(arg)
        elif name == "zeros" and isinstance(arg, ast.Attribute) and arg.attr == "shape":
            found = ctx.text.of(arg.value)
    return found


def _window_axes(index: ast.expr) -> tuple[list[int], bool] | None:
    """The axes of the indexed array's window that a slice with bounds spans, and whether they are all its axes;
    None for an index with anything but slices and single positions (an ellipsis, an index array)."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    axes: list[int] = []
    kept = 0  # the axes the index keeps (a slice keeps its axis, a single position drops it)
    for part in parts:
        if isinstance(part, ast.Slice):
            if part.step is not None:
                return None
            if part.lower is not None or part.upper is not None:
                axes.append(kept)
            kept += 1
        elif isinstance(part, (ast.Starred, ast.List, ast.Tuple, ast.Compare)) or \
                isinstance(part, ast.Constant) and part.value is Ellipsis:
            return None
    return (axes, len(axes) == kept) if axes else None
