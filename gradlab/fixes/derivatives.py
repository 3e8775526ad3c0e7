"""Candidate family "derivative": the derivative of another function written where that of the function the forward
applied belongs (a sigmoid's `g * (1 - g)` for a tanh gate, ReLU's `(x > 0)` pasted into a sigmoid).

A backward writes an activation's derivative in terms of a value it kept: `y * (1 - y)` (the logistic sigmoid's, at
its output), `1 - y ** 2` (tanh's, at its output), `(x > 0)` (ReLU's, at its input). Where one of these is a factor
of a product in a backward statement, the family offers in its place the derivative of each sigmoid or tanh the
layer's code applies (`g = np.tanh(...)`, `self.out = sigmoid(x)`, `i, f, o = _sigmoid(...), ...`), written at the
name that function's output is bound to, when the backward reads that name too (or the class keeps it). The other
factors stay as written. A handful of candidates a product (the layer's sigmoids and tanhs), verified like every
candidate.
Non-goal: derivatives not written in one of these forms (a formula of exponentials: the reference and square
families), and functions the code does not apply.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, precedence, written_value

__all__ = ["FORMS", "derivative_edits", "function_outputs"]

FAMILY = "derivative"
#: the output names of one function offered per product (a layer rarely binds more)
MAX_OUTPUTS = 4
_MULT = 11


def derivative_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None:
        return
    outputs = function_outputs(ctx.text.text)
    if not outputs:
        return
    t = ctx.text
    here = {t.of(n) for n in ast.walk(func) if isinstance(n, (ast.Name, ast.Attribute))}
    parents = {id(c): p for p in ast.walk(value) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(value):
        if not isinstance(node, (ast.BinOp, ast.Compare)) or _is_product(node) and _is_product(parents.get(id(node))):
            continue  # only whole products: `a * y * (1 - y)` parses as `(a * y) * (1 - y)`
        factors: list[ast.expr] = _factors(node) if _is_product(node) else [node]
        found = _written(factors, t)
        if found is None:
            continue
        kind, y, used = found
        rest = [f for i, f in enumerate(factors) if i not in used]
        for other, names in outputs.items():
            # a name the backward reads too, or an attribute the class keeps (any method may read it)
            for z in [n for n in names if n in here or ctx.in_class and n.startswith("self.")][:MAX_OUTPUTS]:
                if (other, z) == (kind, y):
                    continue
                form = FORMS[other](z)
                parts = [_factor_text(f, t, first=i == 0) for i, f in enumerate(rest)] + [form]
                why = f"write the derivative of {other} at its output {z}, {form}, where it is written at {y}" \
                    if other == kind else f"write the derivative of {other} at {z}, {form}, in place of {_NAMES[kind]}"
                yield (Edit(t.start(node), t.end(node), " * ".join(parts), why, FAMILY),)
    yield from _at_every_gate(stmt, func, outputs, t)


def _at_every_gate(stmt: ast.stmt, func: ast.FunctionDef, outputs: dict[str, tuple[str, ...]],
                   t: Text) -> Iterator[tuple[Edit, ...]]:
    """The derivative of another function written at the outputs of one function on several lines (a GRU's sigmoid
    gates z and r each given tanh's `1 - z ** 2`): one slip made at every gate, whose single edits repair no gradient
    alone; all of them at once (at most three lines), offered from the first of those lines."""
    own = {s.lineno: e for s in statements_of(func) if (e := _own_output(s, outputs, t)) is not None}
    if len(own) < 2 or min(own) != stmt.lineno:
        return
    lines = sorted(own)[:3]
    yield tuple(own[line] for line in lines)


def _own_output(stmt: ast.stmt, outputs: dict[str, tuple[str, ...]], t: Text) -> Edit | None:
    """The edit writing, in `stmt`'s value, the derivative at a name as the function it is the output of has it, where
    another function's derivative is written at it (`1 - z ** 2` for a sigmoid's z): None where there is none."""
    value = written_value(stmt)
    if value is None:
        return None
    parents = {id(c): p for p in ast.walk(value) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(value):
        if not isinstance(node, ast.BinOp) or not _is_product(node) or _is_product(parents.get(id(node))):
            continue
        factors = _factors(node)
        found = _written(factors, t)
        if found is None:
            continue
        kind, y, used = found
        other = next((o for o, names in outputs.items() if o != kind and y in names), None)
        if other is None:
            continue
        rest = [f for i, f in enumerate(factors) if i not in used]
        parts = [_factor_text(f, t, first=i == 0) for i, f in enumerate(rest)] + [FORMS[other](y)]
        return Edit(t.start(node), t.end(node), " * ".join(parts), f"write the derivative of {other} at its output "
                    f"{y}, {FORMS[other](y)}, at every such gate", FAMILY)
    return None


#: each function's derivative written at its output `z`
FORMS = {"sigmoid": lambda z: f"{z} * (1 - {z})", "tanh": lambda z: f"(1 - {z} ** 2)"}
_NAMES = {"sigmoid": "a sigmoid's", "tanh": "a tanh's", "relu": "ReLU's"}


def _is_product(node: ast.AST | None) -> bool:
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)


def _factors(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        return _factors(node.left) + _factors(node.right)
    return [node]


def _written(factors: list[ast.expr], t: Text) -> tuple[str, str, set[int]] | None:
    """(which function's derivative, at which name, the factors that write it) among `factors`, or None."""
    texts = [t.of(f) for f in factors]
    for i, f in enumerate(factors):
        y = _one_minus(f, t)
        if y is not None:
            square = _square_of(y)
            if square is not None:
                return "tanh", square, {i}
            if y.replace(" ", "") in (s.replace(" ", "") for s in texts[:i] + texts[i + 1:]):
                j = next(k for k, s in enumerate(texts) if k != i and s.replace(" ", "") == y.replace(" ", ""))
                return "sigmoid", texts[j], {i, j}
        if isinstance(f, ast.Compare) and len(f.ops) == 1 and isinstance(f.ops[0], ast.Gt) and \
                _is_zero(f.comparators[0]) and isinstance(f.left, (ast.Name, ast.Attribute)):
            return "relu", texts[i], {i}
    return None


def _one_minus(node: ast.expr, t: Text) -> str | None:
    """`y` of `1 - y` (`1.0 - y`), as text."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and isinstance(node.left, ast.Constant) and \
            node.left.value == 1:
        return t.of(node.right)
    return None


_SQUARE = (re.compile(r"^(.+?)\s*\*\*\s*2$"), re.compile(r"^(\w[\w.]*)\s*\*\s*(\w[\w.]*)$"),
           re.compile(r"^\w+\.square\((.+)\)$"))


def _square_of(text: str) -> str | None:
    """`y` of `y ** 2`, `y * y` or `np.square(y)`, a name or attribute."""
    for pattern in _SQUARE:
        m = pattern.match(text.strip())
        if m and (len(m.groups()) == 1 or m.group(1) == m.group(2)) and re.fullmatch(r"\w[\w.]*", m.group(1)):
            return m.group(1)
    return None


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def _factor_text(f: ast.expr, t: Text, *, first: bool) -> str:
    p = precedence(f)
    return t.of(f) if p > _MULT or first and p == _MULT else f"({t.of(f)})"


def _kind_of(callee: str) -> str | None:
    last = callee.split(".")[-1].lower()
    if "tanh" in last:
        return "tanh"
    if "sigmoid" in last or last in ("expit", "logistic"):
        return "sigmoid"
    return None


@functools.lru_cache(maxsize=16)
def function_outputs(text: str) -> dict[str, tuple[str, ...]]:
    """For each of sigmoid and tanh the file applies, the names and attributes its outputs are bound to."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    out: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign) or len(node.targets) != 1:
            continue
        target, value = node.targets[0], node.value
        pairs = zip(target.elts, value.elts) if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) \
            and len(target.elts) == len(value.elts) else [(target, value)]
        for tg, v in pairs:
            if isinstance(v, ast.Call) and isinstance(tg, (ast.Name, ast.Attribute)):
                kind = _kind_of(ast.unparse(v.func))
                if kind is not None:
                    out.setdefault(kind, []).append(ast.unparse(tg))
    return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}
