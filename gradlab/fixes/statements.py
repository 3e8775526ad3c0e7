"""Candidate edits of whole statements, and of a statement's value as the measured evidence suggests.

Statement edits: `=` for `+=` and back (accumulate over windows, time steps, branches), `np.add.at` for
a fancy-index assignment that keeps one write per repeated index, a local that should have been the
attribute (`dW = ...` for `self.dW = ...`), a copy before writing into an argument, an update inside
backward removed or computed after the gradient that needs the old weights.
Value edits: the whole value divided or multiplied by the batch size the code already names, by the
constant measured, by a setting the layer keeps (`1 - self.dropout_ratio`); negated, transposed,
reshaped to a shape the code knows, multiplied by the stored mask, or summed over the batch axis.
Non-goal: edits inside an expression (`gradlab.fixes.expressions`).
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from fractions import Fraction

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text, needed_at, precedence, written_value

__all__ = ["block_edits", "joined", "measured_constant", "statement_edits", "value_edits", "where_sides"]

#: how far up a statement may move (above the update it must precede)
MAX_MOVE = 3


def statement_edits(stmt: ast.stmt, ctx: Context, params: set[str]) -> Iterator[tuple[Edit, ...]]:
    """Edits of `stmt` as a statement; `params` are the names its function receives."""
    t = ctx.text
    one_line = stmt.lineno == stmt.end_lineno
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        e = t.operator(target, stmt.value, "=", "+=", "accumulate with += instead of overwriting", family="accumulate")
        if e is not None:
            yield (e,)
        if ctx.in_class and isinstance(target, ast.Name):
            # the attribute the check reads it from, as the class spells it (`self._dW` for a local `dW`), in place
            # of the local's own spelling: the class's optimizer reads its own attribute, not a new one beside it
            spelt = [g for g in ctx.failing if g != target.id and g.lstrip("_") == target.id and g.isidentifier()]
            for attr in spelt or [target.id]:
                yield (Edit(t.start(target), t.end(target), f"self.{attr}", f"store it in self.{attr}", "target"),)
        if isinstance(target, ast.Subscript) and one_line and \
                not any(isinstance(n, ast.Slice) for n in ast.walk(target.slice)):  # np.add.at takes no `:`
            index = t.of(target.slice)
            index = f"({index})" if isinstance(target.slice, ast.Tuple) else index
            new = f"{ctx.numpy}.add.at({t.of(target.value)}, {index}, {t.of(stmt.value)})"
            yield (Edit(t.start(stmt), t.end(stmt), new, "add every write with np.add.at, repeated indices too",
                        "accumulate"),)
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.op, ast.Add):
        e = t.operator(stmt.target, stmt.value, "+=", "=", "assign with = instead of accumulating", family="accumulate")
        if e is not None:
            yield (e,)

    written = _written_argument(stmt, params)
    if written is not None:
        line = stmt.lineno
        yield (Edit((line, 0), (line, 0), f"{t.indent(line)}{written} = {written}.copy()\n",
                    f"copy {written} before writing into it", "copy"),)
    if isinstance(stmt, ast.AugAssign) and one_line:
        if _updates_state(stmt.target, params):
            yield (Edit((stmt.lineno, 0), (stmt.lineno + 1, 0), "", "do not update the weights inside backward",
                        "order"),)
        else:  # `dx /= N` once too often, `w -= lr * dw` on a weight unpacked from the cache
            yield (_removal(stmt, t, "drop"),)


def _written_argument(stmt: ast.stmt, params: set[str]) -> str | None:
    """The argument `stmt` writes into in place (`x[mask] = 0`, `x *= 2`), if any."""
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AugAssign) else []
    for target in targets:
        base = target.value if isinstance(target, ast.Subscript) else \
            target if isinstance(stmt, ast.AugAssign) else None
        if isinstance(base, ast.Name) and base.id in params:
            return base.id
    return None


def _removal(stmt: ast.stmt, t: Text, family: str) -> Edit:
    """The removal of a one-line statement: its whole line, or, where it shares the line with another (`dx /= N;
    dx /= N`), the statement and its `;` alone."""
    (line, a), (_, b) = t.start(stmt), t.end(stmt)
    row = t.lines[line - 1]
    before, after = row[:a].rstrip(), row[b:].lstrip()
    why = f"remove the statement `{t.of(stmt)}`"
    if before.endswith(";"):
        return Edit((line, len(before) - 1), (line, b), "", why, family)
    if after.startswith(";"):
        return Edit((line, a), (line, len(row) - len(after[1:].lstrip())), "", why, family)
    return Edit((line, 0), (line + 1, 0), "", f"remove the line `{t.of(stmt)}`", family)


def _updates_state(target: ast.AST, params: set[str]) -> bool:
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return True
    return isinstance(target, (ast.Name, ast.Subscript)) and _root_name(target) in params


def _root_name(node: ast.AST) -> str:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def block_edits(body: list[ast.stmt], ctx: Context) -> Iterator[tuple[Edit, ...]]:
    """Moves within one block: a one-line assignment moved above the statements before it (a gradient
    computed before the update that changes what it reads), and a returned value computed first."""
    t = ctx.text
    for i, stmt in enumerate(body):
        if not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.lineno != stmt.end_lineno:
            continue
        for j in range(max(0, i - MAX_MOVE), i):
            above = body[j]
            if not isinstance(above, ast.AugAssign):
                continue
            line = t.lines[stmt.lineno - 1]
            if isinstance(stmt, ast.Assign):
                yield (Edit((above.lineno, 0), (above.lineno, 0), t.indent(above.lineno) + line.lstrip(),
                            "compute it before the update", "order"),
                       Edit((stmt.lineno, 0), (stmt.lineno + 1, 0), "", "compute it before the update", "order"))
            elif stmt.value is not None:
                name = _free_name("dx", body)
                yield (Edit((above.lineno, 0), (above.lineno, 0),
                            f"{t.indent(above.lineno)}{name} = {t.of(stmt.value)}\n",
                            "compute the returned gradient before the update", "order"),
                       Edit(t.start(stmt.value), t.end(stmt.value), name,
                            "compute the returned gradient before the update", "order"))
            break


def _free_name(name: str, body: list[ast.stmt]) -> str:
    used = {n.id for s in body for n in ast.walk(s) if isinstance(n, ast.Name)}
    while name in used:
        name += "_"
    return name


def value_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef | None = None) -> Iterator[tuple[Edit, ...]]:
    """Edits of the value `stmt` assigns or returns (each item of a returned tuple), of the terms of a sum in it
    and of the two sides of an `np.where` in it, as the evidence suggests. A name both arms of an `if` of `func`
    assign (`dx = dout * mask` in training, `dx = dout` at test time) is not wrapped where the paths join: a factor
    one path lacks belongs on that path, and the check may run only one of them."""
    value = written_value(stmt)
    if value is None:
        return
    values = list(value.elts) if isinstance(value, ast.Tuple) else [value]
    for value in values:
        if func is not None and isinstance(value, ast.Name) and joined(value.id, func):
            continue
        for e in _wrappers(value, ctx, needed_at(value, value if value is not value else None)):
            yield (e,)
        if isinstance(value, ast.BinOp) and isinstance(value.op, (ast.Add, ast.Sub)):
            for term in (value.left, value.right):
                for e in _factors(term, ctx, need=needed_at(term, value)):
                    yield (e,)
        for e in where_sides(value, ctx):
            yield (e,)


def where_sides(value: ast.expr, ctx: Context) -> Iterator[Edit]:
    """The factor edits of each side of an `np.where` in `value` that is no number (`(out + alpha) / alpha` where
    `out + alpha` is written: one side's derivative short of a factor, the other side right)."""
    for call in (n for n in ast.walk(value) if isinstance(n, ast.Call) and len(n.args) == 3 and
                 ctx.text.of(n.func).split(".")[-1] == "where"):
        for side in call.args[1:]:
            if not isinstance(side, ast.Constant):
                yield from _factors(side, ctx, need=needed_at(side, call))


def _wrappers(value: ast.expr, ctx: Context, need: int) -> Iterator[Edit]:
    t = ctx.text
    v = t.of(value)
    yield from _factors(value, ctx, need=need)
    yield t.replace(value, f"-{_at_least(t, value, 12)}", 12, "negate it", family="negate", need=need)
    yield t.replace(value, f"{t.atom(value)}.T", ATOM, "transpose it", family="transpose", need=need)
    for shape in ctx.shapes:
        yield t.replace(value, f"{t.atom(value)}.reshape({shape})", ATOM, f"reshape it to {shape}", family="shape",
                        need=need)
    for mask in ctx.masks:
        for m in (mask, f"~{mask}"):
            yield t.replace(value, f"{_at_least(t, value, 11)} * {m}", 11, f"multiply it by {m}", family="mask",
                            need=need)
    for ref in ctx.refs:  # a factor of the chain rule left out (`dc` where `dc * f` belongs)
        if ref != v:
            yield t.replace(value, f"{_at_least(t, value, 11)} * {ref}", 11, f"multiply it by {ref}", family="chain",
                            need=need)
    for axis in ("0", "(0, 2, 3)"):
        yield t.replace(value, f"{ctx.numpy}.sum({v}, axis={axis})", ATOM, f"sum it over axis {axis}", family="axis",
                        need=need)


def _factors(value: ast.expr, ctx: Context, *, need: int) -> Iterator[Edit]:
    t = ctx.text
    factors = [(b, f"the batch size {b}") for b in ctx.batch]
    constant = measured_constant(ctx.factor)
    for b, why in factors:
        if t.of(value) == b:  # `N / N` is a 1 in disguise
            continue
        if t.of(value) not in ctx.batch:  # so is `N / x.shape[0]`: one batch size divided by another's spelling
            yield t.replace(value, f"{_at_least(t, value, 11)} / {_atom_text(b)}", 11, f"divide by {why}",
                            family="factor", need=need)
        yield t.replace(value, f"{_at_least(t, value, 11)} * {_atom_text(b)}", 11, f"multiply by {why}",
                        family="factor", need=need)
    if constant is not None:
        yield t.replace(value, constant.format(_at_least(t, value, 11)), 11, "scale it by the factor measured",
                        family="factor", need=need)
    for h1, h2 in itertools.combinations(ctx.hypers, 2):  # an average pool's window, ph * pw
        yield t.replace(value, f"{_at_least(t, value, 11)} / ({h1} * {h2})", 11, f"divide by {h1} * {h2}",
                        family="factor", need=need)
    for h in ctx.hypers:
        for form, why in (("{} / {}", "divide by {}"), ("{} * {}", "multiply by {}"),
                          ("{} / (1 - {})", "divide by 1 - {}"), ("{} * (1 - {})", "multiply by 1 - {}")):
            yield t.replace(value, form.format(_at_least(t, value, 11), h), 11, why.format(h), family="factor",
                            need=need)


def joined(name: str, func: ast.FunctionDef) -> bool:
    """Whether both arms of an `if` of `func` assign `name`."""
    def assigns(body: list[ast.stmt]) -> bool:
        return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                   for st in body for n in ast.walk(st))
    return any(isinstance(n, ast.If) and n.orelse and assigns(n.body) and assigns(n.orelse) for n in ast.walk(func))


def measured_constant(factor: float | None) -> str | None:
    """The edit that undoes a measured ratio analytic / numeric, as a format string: `2 * {}` for 0.5."""
    if factor is None or not abs(factor) > 1e-12 or abs(factor - 1) < 1e-6:
        return None
    inverse = Fraction(1 / factor).limit_denominator(8)
    if abs(float(inverse) - 1 / factor) > 1e-6 * abs(1 / factor):
        return None
    if inverse.denominator == 1:
        return f"{inverse.numerator} * {{}}"
    if inverse.numerator == 1:
        return f"{{}} / {inverse.denominator}"
    return f"{{}} * {inverse.numerator} / {inverse.denominator}"


def _at_least(t: Text, node: ast.AST, needed: int) -> str:
    return t.of(node) if precedence(node) >= needed else f"({t.of(node)})"


def _atom_text(text: str) -> str:
    return text if text.replace(".", "").replace("_", "").replace("[", "").replace("]", "").isalnum() else f"({text})"
