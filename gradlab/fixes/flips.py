"""Candidate family "flip": a kernel turned by 180 degrees where backward needs it turned, or not where it does
not (`np.einsum("fhwij,fcij->chw", windows, self.kernels)` where the input's gradient is a full convolution with
`self.kernels[:, :, ::-1, ::-1]`; `np.rot90(self.kernels, 2)`, which turns the first two axes, where the
window's axes are meant: `axes=(-2, -1)`).

An input's gradient through a correlation is a convolution: the same kernels, turned over their window's axes.
Offered in a backward, for each argument of a call, and each value a name is bound to, that is a kernel as the layer
names it (`W`, `w`, `self.kernels`, `filters`, `weights`), or an item of one (`w[f, c]`): the kernel turned over
its last two axes, then over its last one (a 1-D window); for each turn already written (an index whose slices are
all `:` or `::-1`, `np.flip`, `np.rot90`): the turn removed; and for each `np.rot90` not over the last two axes:
its axes named so. At most a few candidates a call.
Non-goal: turns over axes other than the window's (the last ones), kernels stored with the window first.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM

__all__ = ["flip_edits"]

#: how course code names a convolution's kernels
_KERNEL = re.compile(r"^(w|W\d?|kernels?|filters?|weights?|.*_(kernels?|filters?|weights?))$", re.IGNORECASE)
_TURNS = (("[..., ::-1, ::-1]", "over the window's two axes"), ("[..., ::-1]", "over the window's axis"))
_WINDOW_AXES = "(-2, -1)"


def flip_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if func.name != "backward" and "backward" not in func.name:
        return
    t = ctx.text
    calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
    # the kernels as a call takes them (`self.kernels`, `w[f, c]`), or as a name is bound to them (`k = self.W`)
    operands = [a for c in calls for a in c.args]
    if isinstance(stmt, ast.Assign):
        operands.insert(0, stmt.value)
    for arg in operands:
        base = arg.value if isinstance(arg, ast.Subscript) and not _is_turn_index(arg.slice) else arg
        if isinstance(base, (ast.Name, ast.Attribute)) and _KERNEL.match(t.of(base).rsplit(".", 1)[-1]):
            for index, where in _TURNS:
                yield (t.replace(arg, f"{t.of(arg)}{index}", ATOM, f"turn {t.of(arg)} by 180 degrees {where}",
                                 family="flip"),)
    for call in calls:
        yield from _turn_edits(call, ctx)
    for node in ast.walk(stmt):
        if isinstance(node, ast.Subscript) and _is_turn_index(node.slice):
            yield (t.replace(node, t.of(node.value), ATOM, f"use {t.of(node.value)} as it is, not turned",
                             family="flip"),)


def _turn_edits(call: ast.Call, ctx: Context) -> Iterator[tuple[Edit, ...]]:
    """A written turn (`np.flip(w, ...)`, `np.rot90(w, 2, ...)`) removed; a `rot90` given the window's axes."""
    t = ctx.text
    name = t.of(call.func)
    if name not in {f"{ctx.numpy}.{f}" for f in ("flip", "rot90", "fliplr", "flipud")} or not call.args:
        return
    kernel = call.args[0]
    yield (t.replace(call, t.of(kernel), ATOM, f"use {t.of(kernel)} as it is, not turned", family="flip"),)
    if not name.endswith("rot90"):
        return
    axes = next((kw for kw in call.keywords if kw.arg == "axes"), None)
    if axes is None and len(call.args) < 3:
        yield (t.insert_before(call, f", axes={_WINDOW_AXES}", f"turn {t.of(kernel)} over the window's axes",
                               family="flip"),)
    elif axes is not None and t.of(axes.value).replace(" ", "") != _WINDOW_AXES.replace(" ", ""):
        yield (t.replace(axes.value, _WINDOW_AXES, ATOM, f"turn {t.of(kernel)} over the window's axes",
                         family="flip"),)


def _is_turn_index(index: ast.expr) -> bool:
    """An index that only reverses axes: every part `:` or `::-1` (or `...`), one at least `::-1`."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    turned = 0
    for p in parts:
        if isinstance(p, ast.Constant) and p.value is Ellipsis:
            continue
        if not isinstance(p, ast.Slice) or p.lower is not None or p.upper is not None:
            return False
        if p.step is not None:
            step = p.step
            if not (isinstance(step, ast.UnaryOp) and isinstance(step.op, ast.USub) and
                    isinstance(step.operand, ast.Constant) and step.operand.value == 1):
                return False
            turned += 1
    return turned > 0
