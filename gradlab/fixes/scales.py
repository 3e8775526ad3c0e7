"""Candidate family "forward-factor": a scalar the forward scales by, left out of the backward (an attention's scores
divided by `np.sqrt(d)` whose gradient is not; a dropout's `x * mask / p` whose backward is `dout * mask`; a global
average pool's mean over H and W whose backward spreads dout without dividing by H * W).

The forward says which scalar it scales by: a division or product by a value computed from settings and sizes alone
(`p = dropout_param["p"]`, `d = q.shape[-1]`, `self.scale`, never an array), or a mean over fixed axes (the product of
those axes' sizes). Such a factor missing from the backward is the same scalar, written with what the backward can
read: a name the backward binds too stays; one it does not is replaced by what the forward bound it to
(`np.sqrt(d)` becomes `np.sqrt(q.shape[-1])` where the backward unpacks q from the cache), and an array's shape by the
attribute the forward kept it in (`x.shape` becomes `self.x_shape`). Offered for the value of each statement of the
backward (each item of a returned tuple): that value divided (or multiplied, as the forward did) by each such factor
the value does not already read, at most MAX_FACTORS of them.
Non-goal: a number written out (the measured constant of `gradlab.fixes.statements`), a factor the backward cannot
rebuild from what it reads.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.literals import forward_functions
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text, precedence, written_value
from gradlab.fixes.statements import joined

__all__ = ["MAX_FACTORS", "forward_factor_edits"]

FAMILY = "forward-factor"
#: factors offered for one value, at most
MAX_FACTORS = 3
#: calls of a scalar that give a scalar
_SCALAR_CALLS = {"sqrt", "float", "int", "log", "exp", "abs"}
_SYMBOLS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.FloorDiv: "//"}


def forward_factor_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None or "backward" not in func.name:
        return
    t = ctx.text
    factors = _factors(t.text, func.lineno, func.name)
    if not factors:
        return
    values = list(value.elts) if isinstance(value, ast.Tuple) and isinstance(stmt, ast.Return) else [value]
    for item in values:
        if isinstance(item, ast.Name) and joined(item.id, func):  # a factor one path lacks belongs on that path
            continue
        shown = t.of(item) if precedence(item) >= 11 else f"({t.of(item)})"
        offered = [(op, f) for op, f in factors if f not in t.of(item)][:MAX_FACTORS]
        for op, factor in offered:
            new = f"{shown} {op} {factor if _atomic(factor) else f'({factor})'}"
            yield (t.replace(item, new, 11, f"{'divide' if op == '/' else 'multiply'} by {factor}, as the forward "
                             "does", family=FAMILY, need=1 if item is not value else 0),)


@functools.lru_cache(maxsize=32)
def _factors(text: str, line: int, name: str) -> tuple[tuple[str, str], ...]:
    """(operator, factor in the backward's names) of each scalar the forward of the backward at `line` scales by."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return ()
    func = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.lineno == line and n.name == name),
                None)
    if func is None:
        return ()
    t = Text(text)
    forwards = forward_functions(text, func)
    available = {a.arg for a in func.args.args} | {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and
                                                   isinstance(n.ctx, ast.Store)}
    out: list[tuple[str, str]] = []
    for forward in forwards:
        reader = _Reader(forward, t, available)
        for node in ast.walk(forward):
            for op, side in _scalings(node):
                if reader.scalar(side) and any(isinstance(n, (ast.Name, ast.Attribute)) for n in ast.walk(side)):
                    written = reader.written(side)
                    if written is not None:
                        out.append((op, written))
            counted = reader.counted(node)
            if counted is not None:
                out.append(("/", counted))
    return tuple(dict.fromkeys(out))


def _scalings(node: ast.AST) -> list[tuple[str, ast.expr]]:
    """The sides of a division or product a factor may be: the divisor of `a / f`, either side of `a * f`."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return [("/", node.right)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return [("*", node.left), ("*", node.right)]
    return []


class _Reader:
    """A forward's scalars, and how its backward writes them."""

    def __init__(self, forward: ast.FunctionDef, t: Text, available: set[str]):
        self.t, self.available = t, available
        self.binds: dict[str, ast.expr] = {}
        self.kept: dict[str, str] = {}  # `x.shape` -> `self.x_shape`
        self.attrs: dict[str, ast.expr] = {}  # `self.scale` -> `1.0 / np.sqrt(d)`
        for n in ast.walk(forward):
            if isinstance(n, ast.Assign) and len(n.targets) == 1:
                target = n.targets[0]
                if isinstance(target, ast.Name):
                    self.binds[target.id] = n.value
                elif isinstance(target, ast.Tuple) and isinstance(n.value, ast.Tuple) and \
                        len(target.elts) == len(n.value.elts):
                    self.binds.update((e.id, v) for e, v in zip(target.elts, n.value.elts, strict=True)
                                      if isinstance(e, ast.Name))
                elif isinstance(target, ast.Attribute) and t.of(target).startswith("self."):
                    self.kept[t.of(n.value)] = t.of(target)
                    self.attrs[t.of(target)] = n.value
        self.numbers = {a.arg for a, d in zip(forward.args.args[::-1], forward.args.defaults[::-1], strict=False)
                        if isinstance(d, ast.Constant) and isinstance(d.value, (int, float))}

    def scalar(self, node: ast.expr, depth: int = 0) -> bool:
        """Whether `node` is computed from settings and sizes alone."""
        if depth > 4:
            return False
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        if isinstance(node, ast.Name):
            return node.id in self.numbers or node.id in self.binds and self.scalar(self.binds[node.id], depth + 1)
        if isinstance(node, ast.Attribute) and self.t.of(node) in self.attrs:  # `self.scale`, set here
            return self.scalar(self.attrs[self.t.of(node)], depth + 1)
        if isinstance(node, ast.Subscript):  # `param["p"]`, `x.shape[-1]`
            index = node.slice.operand if isinstance(node.slice, ast.UnaryOp) else node.slice
            return isinstance(index, ast.Constant) and (isinstance(index.value, str) or
                                                         self.t.of(node.value).endswith(".shape"))
        if isinstance(node, ast.Call):
            called = self.t.of(node.func).split(".")[-1]
            return called == "len" or called in _SCALAR_CALLS and all(self.scalar(a, depth + 1) for a in node.args)
        if isinstance(node, ast.BinOp):
            return self.scalar(node.left, depth + 1) and self.scalar(node.right, depth + 1)
        return False

    def written(self, node: ast.expr, depth: int = 0) -> str | None:
        """`node` in the backward's names, or None where the backward cannot read it."""
        t = self.t
        if depth > 4:
            return None
        if t.of(node) in self.kept:
            return self.kept[t.of(node)]
        if isinstance(node, ast.Constant):
            return t.of(node)
        if isinstance(node, ast.Name):
            if node.id in self.available:
                return node.id
            bound = self.binds.get(node.id)
            inner = None if bound is None else self.written(bound, depth + 1)
            return None if bound is None or inner is None else inner if precedence(bound) >= 11 else f"({inner})"
        if isinstance(node, ast.Attribute):
            if t.of(node).startswith("self."):
                return t.of(node)
            base = self.written(node.value, depth + 1)
            return None if base is None else f"{base}.{node.attr}"
        if isinstance(node, ast.Subscript) and isinstance(node.slice, (ast.Constant, ast.UnaryOp)):
            base = self.written(node.value, depth + 1)
            return None if base is None else f"{base}[{t.of(node.slice)}]"
        if isinstance(node, ast.Call) and not node.keywords:
            args = [self.written(a, depth + 1) for a in node.args]
            return None if None in args else f"{t.of(node.func)}({', '.join(a for a in args if a)})"
        if isinstance(node, ast.BinOp):
            left, right = self.written(node.left, depth + 1), self.written(node.right, depth + 1)
            if left is None or right is None:
                return None
            op = _SYMBOLS.get(type(node.op))
            return None if op is None else f"{_grouped(node.left, left)} {op} {_grouped(node.right, right)}"
        return None

    def counted(self, node: ast.AST) -> str | None:
        """The count a mean over fixed axes divides by (`x.mean(axis=(2, 3))`: `self.x_shape[2] * self.x_shape[3]`),
        in the backward's names."""
        if not isinstance(node, ast.Call) or self.t.of(node.func).split(".")[-1] != "mean":
            return None
        method = isinstance(node.func, ast.Attribute) and not self.t.of(node.func).startswith(("np.", "numpy."))
        array = node.func.value if method and isinstance(node.func, ast.Attribute) else \
            node.args[0] if node.args else None
        axis = next((k.value for k in node.keywords if k.arg == "axis"), None)
        axes = axis.elts if isinstance(axis, ast.Tuple) else [axis] if axis is not None else []
        if array is None or not axes or not all(isinstance(a, ast.Constant) and type(a.value) is int for a in axes):
            return None
        window = self._window(array, [a.value for a in axes])  # type: ignore[attr-defined]
        if window is not None:
            return window
        shape = self.kept.get(f"{self.t.of(array)}.shape") or (
            f"{base}.shape" if (base := self.written(array)) is not None else None)
        if shape is None:
            return None
        sizes = [f"{shape}[{a.value}]" for a in axes]  # type: ignore[attr-defined]
        return " * ".join(sizes)

    def _window(self, array: ast.expr, axes: list[int]) -> str | None:
        """The count a mean over a window's axes divides by (`A[:, :, i:i + k, j:j + k].mean(axis=(2, 3))`: `k * k`),
        each axis's extent read from its slice `a:a + e` (or `a:e` from 0), in the backward's names; None for a mean
        over a whole array, or a window whose extents are not written so."""
        if not isinstance(array, ast.Subscript):
            return None
        index = list(array.slice.elts) if isinstance(array.slice, ast.Tuple) else [array.slice]
        if any(isinstance(i, ast.Constant) and i.value is Ellipsis for i in index):
            return None
        sizes: list[str] = []
        for axis in axes:
            part = index[axis] if 0 <= axis < len(index) else None
            if not isinstance(part, ast.Slice) or part.upper is None or part.step is not None:
                return None
            upper, lower = part.upper, part.lower
            if isinstance(upper, ast.BinOp) and isinstance(upper.op, ast.Add) and lower is not None and \
                    self.t.of(upper.left) == self.t.of(lower):
                extent: ast.expr = upper.right
            elif lower is None or isinstance(lower, ast.Constant) and lower.value == 0:
                extent = upper
            else:
                return None
            written = self.written(extent) if self.scalar(extent) or isinstance(extent, ast.Name) else None
            if written is None:
                return None
            sizes.append(_grouped(extent, written))
        return " * ".join(sizes)


def _grouped(node: ast.expr, text: str) -> str:
    return text if precedence(node) >= 11 or text.startswith("(") and text.endswith(")") else f"({text})"


def _atomic(text: str) -> bool:
    try:
        return precedence(ast.parse(text, mode="eval").body) >= ATOM
    except SyntaxError:
        return False
