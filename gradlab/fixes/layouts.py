"""Candidate family "layout": a gradient put back in another axis order than the one forward's reshape and
transpose made (`dx_flat.reshape(N, C, H, W)` where forward built its output as `.reshape(N, H, W, C)
.transpose(0, 3, 1, 2)`; `dout.flatten()` where forward's output was transposed from rows in (N, H, W, C) order;
`dx.reshape(T, N, D).transpose(1, 0, 2)`, which moves values between samples, where `dx.reshape(N, T, D)` is meant).

A reshape reads and writes in memory order: the order of the axes before it decides which value goes where, and a
transpose after it cannot move values back across the reshape. Offered in a backward, each at most one candidate a
call:
- a reshape followed by a transpose (`g.reshape(a, b, c).transpose(1, 0, 2)`): reshaped to the transposed shape
  directly (`g.reshape(b, a, c)`);
- a reshape to a shape that a forward reaches with a reshape and a transpose (forward's `.reshape(N, H, W, C)
  .transpose(0, 3, 1, 2)` gives (N, C, H, W)): forward's reshape and transpose written instead;
- the upstream gradient read flat (`dout.flatten()`, `dout.ravel()`, `dout.reshape(...)`) where a forward transposes
  its output (`.transpose(0, 3, 1, 2)`): transposed back first (`dout.transpose(0, 2, 3, 1).flatten()`).
Non-goal: `np.transpose(x, axes)` and `swapaxes` spellings; shapes given as one tuple name (`x.shape`).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import gradient_params
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.source import forwards_around
from gradlab.fixes.spans import ATOM, Text

__all__ = ["layout_edits"]

_FLAT = {"flatten", "ravel", "reshape"}


def layout_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if "backward" not in func.name:
        return
    t = ctx.text
    chains = _forward_chains(t.text, func.lineno)
    upstream = set(gradient_params(func))
    for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)):
        method, inner = call.func.attr, call.func.value  # type: ignore[attr-defined]
        if method == "transpose" and isinstance(inner, ast.Call) and _method(inner) == "reshape":
            shape, perm = _sizes(inner, t), _perm(call)
            if shape is not None and perm is not None and len(shape) == len(perm):
                new = f"{t.of(inner.func)}({', '.join(shape[p] for p in perm)})"
                yield (t.replace(call, new, ATOM, "reshape to the shape it is transposed to, in its own order",
                                 family="layout"),)
        if method == "reshape":
            shape = _sizes(call, t)
            for fshape, fperm in chains[0]:
                if shape is not None and [fshape[p] for p in fperm] == shape and fshape != shape:
                    new = f"{t.of(call.func)}({', '.join(fshape)}).transpose({', '.join(map(str, fperm))})"
                    yield (t.replace(call, new, ATOM, "put the axes back as forward ordered them: reshape, then "
                                     "transpose", family="layout"),)
        if method in _FLAT and isinstance(inner, ast.Name) and inner.id in upstream:
            for perm in chains[1]:
                back = [0] * len(perm)
                for i, p in enumerate(perm):
                    back[p] = i
                yield (ctx.text.replace(inner, f"{inner.id}.transpose({', '.join(map(str, back))})", ATOM,
                                        f"transpose {inner.id} back to the order forward's output had before its "
                                        "transpose", family="layout"),)


def _method(node: ast.expr) -> str:
    return node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else ""


def _sizes(call: ast.Call, t: Text) -> list[str] | None:
    """The sizes of a reshape, as written (`reshape(N, H, W, C)` or `reshape((N, H, W, C))`), without -1."""
    args = call.args[0].elts if len(call.args) == 1 and isinstance(call.args[0], ast.Tuple) else call.args
    if len(args) < 2 or call.keywords or any(isinstance(a, ast.Starred) for a in args):
        return None
    return [t.of(a) for a in args]


def _perm(call: ast.Call) -> list[int] | None:
    args = call.args[0].elts if len(call.args) == 1 and isinstance(call.args[0], ast.Tuple) else call.args
    out = [a.value for a in args if isinstance(a, ast.Constant) and isinstance(a.value, int)]
    return out if len(out) == len(args) and sorted(out) == list(range(len(out))) and len(out) >= 2 else None


@functools.lru_cache(maxsize=8)
def _forward_chains(text: str, line: int) -> tuple[list[tuple[list[str], list[int]]], list[list[int]]]:
    """In the forwards of the layer around `line` (a class's, or the module's functions): the reshapes followed by
    a transpose ((sizes, permutation)), and every transpose's permutation."""
    defs = forwards_around(text, line)
    if defs is None:
        return [], []
    t = Text(text)
    chains: list[tuple[list[str], list[int]]] = []
    perms: list[list[int]] = []
    for call in (n for f in defs for n in ast.walk(f) if isinstance(n, ast.Call) and _method(n) == "transpose"):
        perm = _perm(call)
        if perm is None:
            continue
        perms.append(perm)
        inner = call.func.value  # type: ignore[attr-defined]
        if _method(inner) == "reshape":
            shape = _sizes(inner, t)
            if shape is not None and len(shape) == len(perm) and "-1" not in shape:
                chains.append((shape, perm))
    return chains, [list(p) for p in dict.fromkeys(tuple(p) for p in perms)][:2]
