"""Candidate family "crash": the line a crashed layer raised at, edited as the error it raised says.

A crash says more than a wrong number: which line, and what Python could not do there. Four errors name their own
slip, in any layer and any style:
- `TypeError: sum() got an unexpected keyword argument 'keepdim'`: the keyword misspelt (renamed to the closest
  keyword numpy's function of that name takes, or to a usual numpy keyword) or, failing that, dropped;
- `AttributeError: 'Affine' object has no attribute 'wieght'` (or `module 'numpy' has no attribute 'sumn'`): the
  attribute misspelt, renamed to the closest one the layer keeps (or numpy has);
- `NameError: name 'N' is not defined`: a name bound in another function of the file (`N = x.shape[0]` in forward)
  and not in this one: that binding written again just above the line, where what it reads is bound already;
  in a method, the attribute of the same name the class keeps (`self.x` for `x`);
- `ValueError: cannot reshape array of size 6 into shape (1,2,2,1,3)`: one size of the reshape wrong, left to
  numpy to infer (`-1` in its place).
Offered only for the statement at the line that raised, so a layer that did not crash costs the search nothing.
Non-goal: errors inside numpy's own code on arrays of the wrong shape (the shape families' work), and guessing a
size (a `-1` is numpy's own inference, which the check then verifies).
"""

from __future__ import annotations

import ast
import difflib
import functools
import inspect
import re
from collections.abc import Iterator

import numpy as np

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["crash_edits"]

#: keywords numpy's functions take, for a call whose own function cannot be looked up (a method of an array)
_NUMPY_KEYWORDS = ("axis", "keepdims", "dtype", "out", "initial", "where", "ddof", "order", "axes", "ord", "copy")
#: how close a misspelt name must be to its correction (difflib's ratio)
_CLOSE = 0.6
#: corrections offered for one misspelt name
_MAX_CLOSE = 2

_KEYWORD = re.compile(r"TypeError: (?:\w+\(\) )?got an unexpected keyword argument '(\w+)'")
_ATTRIBUTE = re.compile(r"AttributeError: (?:'(\w+)' object|module '(\w+)') has no attribute '(\w+)'")
_NAME = re.compile(r"NameError: name '(\w+)' is not defined")
_RESHAPE = re.compile(r"ValueError: cannot reshape array of size \d+ into shape")


def crash_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if isinstance(stmt, ast.If):  # its test's line only: the body's statements are offered on their own
        return
    for line, error in ctx.crashes:
        if not stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
            continue
        if m := _KEYWORD.search(error):
            yield from _keyword_edits(stmt, ctx, m.group(1))
        elif m := _ATTRIBUTE.search(error):
            yield from _attribute_edits(stmt, ctx, func, m.group(3), numpy_module=m.group(2) is not None)
        elif m := _NAME.search(error):
            yield from _name_edits(stmt, ctx, func, m.group(1))
        elif _RESHAPE.search(error):
            yield from _reshape_edits(stmt, ctx)


def _keyword_edits(stmt: ast.stmt, ctx: Context, wrong: str) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call)):
        for kw in call.keywords:
            if kw.arg != wrong:
                continue
            start = t.start(kw)
            for right in _close(wrong, _keywords_of(_called_name(call, ctx))):
                yield (Edit(start, (start[0], start[1] + len(wrong)), right, f"spell the keyword {right}", "crash"),)
            # dropped: from the comma before it (or, for the first argument, to the comma after it)
            items: list[ast.expr | ast.keyword] = [*call.args, *call.keywords]
            items.sort(key=lambda n: (n.lineno, n.col_offset))
            k = items.index(kw)
            if k > 0:
                yield (Edit(t.end(items[k - 1]), t.end(kw), "", f"leave out {wrong}=", "crash"),)
            elif len(items) > 1:
                yield (Edit(start, t.start(items[1]), "", f"leave out {wrong}=", "crash"),)


def _called_name(call: ast.Call, ctx: Context) -> str:
    """`sum` of `np.sum(...)` and of `x.sum(...)`; "" for another module's function."""
    f = call.func
    if isinstance(f, ast.Attribute):
        owner = ctx.text.of(f.value)
        return f.attr if owner == ctx.numpy or not (isinstance(f.value, ast.Name) and owner in ("math", "scipy")) \
            else ""
    return f.id if isinstance(f, ast.Name) else ""


@functools.lru_cache(maxsize=64)
def _keywords_of(name: str) -> tuple[str, ...]:
    """The keywords numpy's function `name` takes (np.sum's for `x.sum`), then numpy's usual ones."""
    own: list[str] = []
    func = getattr(np, name, None) if name else None
    if callable(func):
        try:
            own = [p.name for p in inspect.signature(func).parameters.values()
                   if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        except (TypeError, ValueError):  # a ufunc or a builtin without a signature
            own = []
    return tuple(dict.fromkeys([*own, *_NUMPY_KEYWORDS]))


def _close(wrong: str, names: tuple[str, ...] | list[str]) -> list[str]:
    return difflib.get_close_matches(wrong, [n for n in names if n != wrong], n=_MAX_CLOSE, cutoff=_CLOSE)


def _attribute_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef, wrong: str, *,
                     numpy_module: bool) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    for node in (n for n in ast.walk(stmt) if isinstance(n, ast.Attribute) and n.attr == wrong):
        owner = t.of(node.value)
        if numpy_module:
            if owner != ctx.numpy:
                continue
            names: list[str] = [n for n in dir(np) if not n.startswith("_")]
        else:
            names = _attributes_of(ctx, func, owner)
        end = t.end(node)
        for right in _close(wrong, names):
            yield (Edit((end[0], end[1] - len(wrong)), end, right, f"spell the attribute {owner}.{right}", "crash"),)


def _attributes_of(ctx: Context, func: ast.FunctionDef, owner: str) -> list[str]:
    """The attributes of `owner` the layer's code reads or sets (`self.W`, `self.x`), in this function and in the
    class's others."""
    known = [r.split(".", 1)[1] for r in [*ctx.refs, *ctx.cached] if r.startswith(owner + ".") and r.count(".") == 1]
    known += [n.attr for n in ast.walk(func) if isinstance(n, ast.Attribute) and ctx.text.of(n.value) == owner]
    return list(dict.fromkeys(known))


def _name_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef, name: str) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    uses = [n for n in ast.walk(func) if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load)]
    if not uses:
        return
    # in a method, the attribute of that name the class keeps, everywhere this function reads the name
    if ctx.in_class and f"self.{name}" in [*ctx.refs, *ctx.cached] and \
            len({n.lineno for n in uses}) <= 3:  # a fix changes three lines at most
        yield tuple(Edit(t.start(n), t.end(n), f"self.{name}", f"read self.{name}, which the layer keeps", "crash")
                    for n in uses)
    # the binding another function of the file makes, written again above this line, where it reads only names
    # this function has bound by then
    bound = _bound_before(func, stmt.lineno)
    for binding in _bindings_elsewhere(t.text, func.name, name):
        value = binding.value
        reads = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
        if reads <= bound | {ctx.numpy}:
            line = t.lines[binding.lineno - 1].strip()
            yield (Edit((stmt.lineno, 0), (stmt.lineno, 0), f"{t.indent(stmt.lineno)}{line}\n",
                        f"bind {name} here as the file's other function does", "crash"),)


def _bound_before(func: ast.FunctionDef, line: int) -> set[str]:
    """The names `func` has bound before `line`: its arguments and what its earlier statements assign."""
    out = {a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]}
    out |= {a.arg for a in (func.args.vararg, func.args.kwarg) if a is not None}
    for st in statements_of(func):
        if st.lineno < line and isinstance(st, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For)):
            targets = st.targets if isinstance(st, ast.Assign) else [st.target]
            out |= {n.id for tg in targets for n in ast.walk(tg) if isinstance(n, ast.Name)}
    return out


@functools.lru_cache(maxsize=16)
def _bindings_by_function(text: str) -> dict[str, list[ast.Assign]]:
    """{function name: its one-line assignments to names} of every function of the file, methods included."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    out: dict[str, list[ast.Assign]] = {}
    for f in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        out.setdefault(f.name, []).extend(
            st for st in statements_of(f) if isinstance(st, ast.Assign) and st.lineno == st.end_lineno and
            all(isinstance(n, (ast.Name, ast.Tuple, ast.Store)) for tg in st.targets for n in ast.walk(tg)))
    return out


def _bindings_elsewhere(text: str, here: str, name: str) -> list[ast.Assign]:
    """The one-line assignments that bind `name` in the file's other functions, each text once."""
    lines = text.splitlines()
    seen: dict[str, ast.Assign] = {}
    for fname, stmts in _bindings_by_function(text).items():
        if fname == here:
            continue
        for st in stmts:
            if any(isinstance(n, ast.Name) and n.id == name for tg in st.targets for n in ast.walk(tg)):
                seen.setdefault(lines[st.lineno - 1].strip(), st)
    return list(seen.values())[:2]


def _reshape_edits(stmt: ast.stmt, ctx: Context) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    for call in (n for n in ast.walk(stmt) if isinstance(n, ast.Call)):
        f = call.func
        if not (isinstance(f, ast.Attribute) and f.attr == "reshape"):
            continue
        sizes = call.args[1:] if t.of(f.value) == ctx.numpy else call.args
        if len(sizes) == 1 and isinstance(sizes[0], (ast.Tuple, ast.List)):
            sizes = sizes[0].elts
        if len(sizes) < 2 or any(_is_minus_one(s) for s in sizes):
            continue
        for s in sizes:
            if not isinstance(s, ast.Constant):  # a literal size is the user's own choice, not a slip of a name
                yield (t.replace(s, "-1", 12, f"let numpy infer the size written {t.of(s)}", family="crash", need=0),)


def _is_minus_one(node: ast.expr) -> bool:
    return isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and \
        isinstance(node.operand, ast.Constant) and node.operand.value == 1
