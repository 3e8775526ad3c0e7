"""Candidate family "coupling": a softmax's derivative taken as its diagonal alone (`dout * y * (1 - y)`, the
sigmoid's, or `y * dout`), where every output depends on every input of its row: `y * (dout - sum(dout * y))`.

A softmax's Jacobian is `diag(y) - y y^T`; a backward that keeps the diagonal writes each output's gradient from its
own upstream gradient alone. Offered for a product of a backward statement that has a factor `y` the layer's file
binds to a softmax (a division by a sum over an axis, `e / e.sum(axis=1, keepdims=True)`, or a call of a function
named softmax), or that the check's diagnosis names a softmax: the product's other factors `g` (the `1 - y` dropped)
written as `y * (g - np.sum(g * y, axis=k, keepdims=True))`, `k` the axis the file's softmax sums over, or the last
axis and axis 1 when it is not known; at most two candidates a factor.
Non-goal: a softmax whose Jacobian is written out as a matrix (`np.diagflat(y) - np.outer(y, y)`), which is the
reference and axis families' to edit.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import precedence, written_value

__all__ = ["coupling_edits"]

FAMILY = "coupling"


def coupling_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    bound = dict(_softmax_outputs(t.text))
    for n in ast.walk(func):  # `y = self.out` in the backward: y is that softmax too
        if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and \
                t.of(n.value) in bound:
            bound[n.targets[0].id] = bound[t.of(n.value)]
    named = any("softmax" in d for d in ctx.diagnoses)  # the diagnosis names one: its output is the layer's own
    parents = {id(c): p for p in ast.walk(value) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(value):
        if not _is_product(node) or _is_product(parents.get(id(node))):
            continue  # whole products only: `dout * y * (1 - y)` parses as `(dout * y) * (1 - y)`
        factors = _factors(node)
        texts = [t.of(f) for f in factors]
        for i, f in enumerate(factors):
            y = texts[i]
            if not isinstance(f, (ast.Name, ast.Attribute)) or (y not in bound and not named):
                continue
            others = [j for j in range(len(factors)) if j != i and
                      texts[j].replace(" ", "").strip("()") not in (f"1-{y}", f"1.0-{y}")]
            if not others or any(t.of(n) == y for j in others for n in ast.walk(factors[j])
                                 if isinstance(n, (ast.Name, ast.Attribute))):
                continue
            g = " * ".join(texts[j] if precedence(factors[j]) > 11 else f"({texts[j]})" for j in others)
            for axis in bound.get(y) or _axes_of(t.text):
                new = f"{y} * ({g} - {ctx.numpy}.sum({g} * {y}, axis={axis}, keepdims=True))"
                yield (t.replace(node, new, 11, f"subtract {y} * sum({g} * {y}): every output of a softmax "
                                 "depends on every input of its row", family=FAMILY),)


def _is_product(node: ast.AST | None) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)


def _factors(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    return [node] if isinstance(node, ast.expr) else []


@functools.lru_cache(maxsize=16)
def _softmax_outputs(text: str) -> dict[str, tuple[str, ...]]:
    """The names and attributes the file binds to a softmax, each with the axis it sums over (when written)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for n in ast.walk(tree):
        # `a /= a.sum(axis=-1, keepdims=True)` normalises in place as `p = e / e.sum(...)` does into a new name
        if isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Div) and \
                isinstance(n.target, (ast.Name, ast.Attribute)):
            n = ast.Assign(targets=[n.target], value=ast.BinOp(left=n.target, op=ast.Div(), right=n.value))
        if not isinstance(n, ast.Assign) or len(n.targets) != 1 or \
                not isinstance(n.targets[0], (ast.Name, ast.Attribute)):
            continue
        v = n.value
        if isinstance(v, ast.BinOp) and isinstance(v.op, ast.Div) and isinstance(v.right, ast.Call) and \
                isinstance(v.right.func, (ast.Attribute, ast.Name)) and ast.unparse(v.right.func).endswith("sum"):
            axes = [ast.unparse(k.value) for k in v.right.keywords if k.arg == "axis"]
            out[ast.unparse(n.targets[0])] = tuple(axes)
        elif isinstance(v, ast.Call) and "softmax" in ast.unparse(v.func).lower():
            out[ast.unparse(n.targets[0])] = ()
    return out


def _axes_of(text: str) -> tuple[str, ...]:
    """The axes a softmax of the file sums over, or the last axis and axis 1 when none is written."""
    found = tuple(dict.fromkeys(a for axes in _softmax_outputs(text).values() for a in axes))
    return found[:2] or ("-1", "1")
