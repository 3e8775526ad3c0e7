"""Candidate edits of a whole layer ("axis"): the statistics it keeps for broadcasting moved to another axis, in
forward and backward at once.

A normalisation or a softmax over the wrong axis is written so in every function: forward's `x.mean(axis=0,
keepdims=True)` and `x.var(axis=0, keepdims=True)`, and backward's `g.sum(axis=0, keepdims=True)` that undoes
them. Moving one function's reductions (`gradlab.fixes.expressions.every_axis`) leaves the other wrong. The
reductions that keep their axis (`keepdims=True`) are the statistics broadcast back over the input; those that
do not are a parameter's gradient summed over the batch (`dgamma = (dout * xhat).sum(axis=0)`), which stay.
Reductions written without `keepdims` broadcast back only when they reduce the batch's axis (`x - x.max(axis=0)`):
moved together to another axis, they keep it (`x.max(axis=1, keepdims=True)`).
Offered when such reductions over one axis are in two functions or more, on at most three lines.
An axis the function receives as an argument is left to its callers: where forward and backward hand one helper pair
the same literal axis (`_normalise(x, 0, eps)` and `_normalise_back(dy, xhat, std, 0)`, each helper's parameter named
for an axis), the callers' literals are moved together instead (`passed_axis_edits`).
A normalisation's mean and variance are over the same axes: where one function takes them over two different ones
(`xg.mean(axis=(1, 2, 3, 4))` beside `xg.var(axis=(2, 3, 4))`), each is offered the other's (`sibling_axis_edits`).
Non-goal: a statistic indexed with `[:, None]` afterwards (its index would have to go too).
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.source import Site
from gradlab.fixes.spans import Text

__all__ = ["kept_axis_edits", "passed_axis_edits", "sibling_axis_edits"]

_AXES = ("0", "1", "-1", "(0, 2, 3)")
_REDUCTIONS = {"sum", "mean", "max", "min", "var", "std"}
#: the most lines one candidate changes
MAX_LINES = 3


def kept_axis_edits(site: Site) -> Iterator[tuple[Edit, ...]]:
    t = Text(site.text)
    groups: dict[tuple[str, bool], list[tuple[int, ast.keyword]]] = {}
    for order, scope in enumerate(site.scopes):
        # an axis a function receives (`def _over(y, axes, eps)`) is its callers' to choose: a constant in its place
        # would fit this layer and break the others that call it with theirs
        received = {a.arg for a in scope.node.args.args}
        for node in ast.walk(scope.node):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute) or \
                    node.func.attr not in _REDUCTIONS:
                continue
            axis = next((k for k in node.keywords if k.arg == "axis"), None)
            if axis is not None and isinstance(axis.value, ast.Name) and axis.value.id in received:
                continue
            keep = next((k for k in node.keywords if k.arg == "keepdims"), None)
            kept = keep is not None and isinstance(keep.value, ast.Constant) and keep.value.value is True
            if axis is not None and (kept or keep is None):
                groups.setdefault((t.of(axis.value), kept), []).append((order, axis))
    for (value, kept), found in groups.items():
        lines = {k.lineno for _, k in found}
        if len({order for order, _ in found}) < 2 or len(lines) > MAX_LINES:
            continue
        for new in _AXES:
            if new == value:
                continue
            why = f"keep the statistics over axis {new} where {value} is, in forward and backward"
            moved = [Edit(t.start(k.value), t.end(k.value), new, why, "axis") for _, k in found]
            # reductions that do not keep their axis broadcast back only over the batch's: moved, they keep it
            kept_too = [] if kept else [Edit(t.end(k), t.end(k), ", keepdims=True", why, "axis") for _, k in found]
            yield (*moved, *kept_too)


def passed_axis_edits(site: Site) -> Iterator[tuple[Edit, ...]]:
    """The literal axis the layer's functions hand to helpers that take an axis (a parameter named `axis`, `axes`,
    `dim`), moved to another in every call at once, when the calls are in two functions or more."""
    t = Text(site.text)
    found: dict[str, list[tuple[int, ast.expr]]] = {}
    for order, scope in enumerate(site.scopes):
        if scope.role == "helper":
            continue
        for node in ast.walk(scope.node):
            params = _parameters(site, node.func.id) if isinstance(node, ast.Call) and \
                isinstance(node.func, ast.Name) else None
            if not params:
                continue
            assert isinstance(node, ast.Call)
            given = [(params[i], a) for i, a in enumerate(node.args) if i < len(params)] + \
                [(k.arg, k.value) for k in node.keywords if k.arg]
            for param, value in given:
                if _names_an_axis(param) and _one_axis(value) is not None:
                    found.setdefault(t.of(value), []).append((order, value))
    for written, places in found.items():
        if len({order for order, _ in places}) < 2 or len({v.lineno for _, v in places}) > MAX_LINES:
            continue
        one = isinstance(places[0][1], ast.Tuple)  # `(0,)` stays a tuple: `(1,)`
        for new in (f"({a},)" if one else a for a in ("1", "-1", "0")):
            if new != written:
                why = f"take the statistics over axis {new} where {written} is, in forward and backward"
                yield tuple(Edit(t.start(v), t.end(v), new, why, "axis") for _, v in places)


def _parameters(site: Site, name: str) -> list[str] | None:
    """The parameter names of the function `name` the layer's module calls: defined there or imported into it."""
    node = next((n for n in site.tree.body if isinstance(n, ast.FunctionDef) and n.name == name), None)
    if node is not None:
        return [a.arg for a in node.args.args]
    func = site.namespace.get(name)
    if not inspect.isfunction(func):
        return None
    return list(inspect.signature(func).parameters)


def _one_axis(value: ast.expr) -> int | None:
    """The axis of a literal `0` or `(0,)`, else None."""
    if isinstance(value, ast.Tuple) and len(value.elts) == 1:
        value = value.elts[0]
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        inner = _one_axis(value.operand)
        return None if inner is None else -inner
    return value.value if isinstance(value, ast.Constant) and type(value.value) is int else None


def _names_an_axis(param: str) -> bool:
    return param.lower() in ("axis", "axes", "dim", "dims", "ax")


_STATISTICS = {"mean", "var", "std"}


def sibling_axis_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    mine = [(n, k) for n, k in _statistics(stmt, t)]
    if not mine:
        return
    others = {t.of(k.value) for st in ast.walk(func) if isinstance(st, ast.stmt) and st is not stmt
              for _, k in _statistics(st, t)}
    for node, axis in mine:
        for other in sorted(others - {t.of(axis.value)}):
            yield (Edit(t.start(axis.value), t.end(axis.value), other,
                        f"take the {_name(node)} over axis {other}, as the other statistics beside it", "axis"),)


def _statistics(stmt: ast.stmt, t: Text) -> list[tuple[ast.Call, ast.keyword]]:
    """The means, variances and standard deviations a simple statement takes, with their `axis` keyword."""
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)) or stmt.value is None:
        return []
    out = []
    for n in ast.walk(stmt.value):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _STATISTICS:
            axis = next((k for k in n.keywords if k.arg == "axis"), None)
            if axis is not None and not isinstance(axis.value, ast.Name):
                out.append((n, axis))
    return out


def _name(node: ast.Call) -> str:
    return {"mean": "mean", "var": "variance", "std": "standard deviation"}[node.func.attr]  # type: ignore[attr-defined]
