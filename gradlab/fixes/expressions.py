"""Candidate edits inside one expression of the user's code: the small slips a gradient is wrong by.

Each node of a statement offers the edits its shape allows: a factor dropped or an operator turned
(`/ N`, `* 2`), a sign or a `.T` removed, a product's operands swapped and transposed, a reduction's
axis or `keepdims` changed, a comparison turned, a call removed or an index dropped (`cache["out"]`),
and a reference replaced by another the layer keeps (`self.x` for `self.out`: the derivative at the
cached output instead of the input). Which of them is right is never decided here: each is re-checked.
Non-goal: edits of whole statements, and edits from the measured evidence (`gradlab.fixes.statements`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text, needed_at, parents_of, precedence, written_value

__all__ = ["Context", "cached_edits", "every_axis", "every_occurrence", "expression_edits", "is_gradient"]

_REDUCTIONS = {"sum", "mean", "max", "min"}
_AXES = ("0", "1", "-1", "(0, 2, 3)")
_TURNED = {ast.Gt: ("<=", "<", ">="), ast.Lt: (">=", ">", "<="), ast.GtE: ("<", ">"), ast.LtE: (">", "<")}
_SYMBOL = {ast.Gt: ">", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<=", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
           ast.Div: "/", ast.MatMult: "@"}


@dataclass
class Context:
    """What the layer's code offers an edit: its own names, in its own spelling."""

    text: Text
    numpy: str = "np"
    #: the arrays the layer keeps or receives (`self.x`, `self.out`, `cache`, `x`): substitutes for each other
    refs: list[str] = field(default_factory=list)
    #: the batch size as the code already names it (`N`, `batch_size`, `dout.shape[0]`)
    batch: list[str] = field(default_factory=list)
    shapes: list[str] = field(default_factory=list)
    masks: list[str] = field(default_factory=list)
    #: scalar settings the layer keeps (`self.dropout_ratio`, `p`): factors a scale may be missing
    hypers: list[str] = field(default_factory=list)
    #: the one-argument functions the forward applies (`np.tanh`, `_sigmoid`)
    funcs: list[str] = field(default_factory=list)
    #: what forward stored for backward, as backward can read it (`self.std`, `std` unpacked from the cache,
    #: `cache["std"]`), for a backward's context only: the value a recomputation should have read
    cached: list[str] = field(default_factory=list)
    #: the names backward binds from the cache (`x, xhat, gamma, std = cache`)
    unpacked: list[str] = field(default_factory=list)
    #: the measured ratio analytic / numeric of the failing gradient, where it is one number
    factor: float | None = None
    in_class: bool = False
    #: what the layer raised, where in this file: (line, the error as "NameError: name 'N' is not defined"), for a
    #: crashed layer only (`gradlab.fixes.crashes` edits the line that raised)
    crashes: tuple[tuple[int, str], ...] = ()
    #: the axes a failing gradient has one too many of, measured (its shape returned against the right one): the
    #: axes a missing sum would reduce (`gradlab.fixes.sums`)
    missing_sums: tuple[int, ...] = ()
    #: the names of the gradients the check failed (`dh0`, `dprev_h`): a value handed back for one is named so
    failing: tuple[str, ...] = ()
    #: what the check's diagnosis says of each failing gradient, in its words
    diagnoses: tuple[str, ...] = ()


def every_occurrence(stmt: ast.stmt, ctx: Context) -> Iterator[tuple[Edit, ...]]:
    """One reference replaced by another everywhere in `stmt` (`self.x * (1 - self.x)`: the derivative
    written for the output, given the input twice), or wrapped in the forward's function everywhere."""
    t = ctx.text
    found: dict[str, list[ast.AST]] = {}
    for n in ast.walk(stmt):
        if isinstance(n, (ast.Name, ast.Attribute)) and isinstance(n.ctx, ast.Load) and t.of(n) in ctx.refs:
            found.setdefault(t.of(n), []).append(n)
    for here, nodes in found.items():
        if len(nodes) < 2:
            continue
        for other in [*(r for r in ctx.refs if r != here), *(f"{f}({here})" for f in ctx.funcs)]:
            yield tuple(Edit(t.start(n), t.end(n), other, f"use {other} where {here} is", "reference") for n in nodes)


def _axes_to_offer(t: Text) -> tuple[str, ...]:
    """The axes an axis edit offers, the last axis as the file writes it first: `axis=-1` where the file says -1 is
    right on any rank, where `axis=1` is right on 2-D only (a layer norm also given sequences (N, T, D))."""
    return tuple(sorted(_AXES, key=lambda v: v != "-1")) if "axis=-1" in t.text.replace(" ", "") else _AXES


def every_axis(func: ast.FunctionDef, ctx: Context) -> Iterator[tuple[Edit, ...]]:
    """Every reduction over one axis in `func` moved to another (a softmax normalised over the wrong axis
    shifts by the maximum over that axis too)."""
    t = ctx.text
    axes: dict[str, list[ast.keyword]] = {}
    for n in ast.walk(func):
        if isinstance(n, ast.Call):
            for kw in n.keywords:
                if kw.arg == "axis":
                    axes.setdefault(t.of(kw.value), []).append(kw)
    for value, kws in axes.items():
        if len(kws) < 2:
            continue
        for new in _axes_to_offer(t):
            if new != value:
                yield tuple(Edit(t.start(k.value), t.end(k.value), new, f"reduce over axis {new} where {value} is",
                                 "axis") for k in kws)


#: cached arrays offered in place of one recomputed expression, at most
MAX_CACHED = 4


def cached_edits(stmt: ast.stmt, ctx: Context) -> Iterator[tuple[Edit, ...]]:
    """A value backward computes again from what forward stored, replaced by what forward stored: a `std`
    recomputed without forward's eps where `self.std` (or the cache's `std`) belongs. A local computed again
    under the name the cache gave it (`std = x.std(axis=1)` after `..., std = cache`) is dropped instead; any
    other recomputed call is replaced by the cached arrays, the one of its name first, at most MAX_CACHED."""
    value = written_value(stmt)
    if not ctx.cached or value is None:
        return
    t = ctx.text
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 else None
    name = target.id if isinstance(target, ast.Name) else ""
    if name in ctx.unpacked and _recomputed(value, ctx):
        yield (Edit((stmt.lineno, 0), (stmt.end_lineno + 1, 0), "",  # type: ignore[operator]
                    f"keep the {name} the cache holds: do not compute it again", "reference"),)
    parents = parents_of(value)
    # the calls, and a whole value of arithmetic (`s = 1 / (1 + np.exp(-z))`: sigmoid applied again to its output)
    calls = [n for n in ast.walk(value) if (isinstance(n, ast.Call) or n is value) and _recomputed(n, ctx)]
    for node in calls:
        if isinstance(parents.get(id(node)), ast.Call) and parents[id(node)] in calls:
            continue  # the outermost recomputation only: `np.sqrt(np.mean(...))` is one value
        called = node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else \
            getattr(getattr(node, "func", None), "id", "")
        wanted = {name, called} if node is value else {called}
        reads = {t.of(n) for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript))}
        # the array of its name first (`self.std` for `std`), then those it is computed from (`z` for sigmoid(z))
        ranked = sorted(ctx.cached, key=lambda c: (_last_name(c) not in wanted, c not in reads))
        for other in ranked[:MAX_CACHED]:
            if other != name:
                yield (t.replace(node, other, ATOM, f"use the {other} forward stored, not a value computed again",
                                 family="reference", need=needed_at(node, parents.get(id(node)))),)


#: calls that make a new array of a shape, not a value computed again
_ALLOCATIONS = {"zeros", "zeros_like", "ones", "ones_like", "empty", "empty_like", "full", "full_like", "arange",
                "eye", "copy", "len", "range", "reshape"}


def _recomputed(node: ast.expr, ctx: Context) -> bool:
    """Whether `node` computes again a value of what forward stored: a call (or arithmetic) that reads a cached
    value and no gradient, and is not a new array made in its shape (`np.zeros_like(W)`)."""
    if not isinstance(node, (ast.Call, ast.BinOp)) or any(
            isinstance(n, ast.Call) and (n.func.attr if isinstance(n.func, ast.Attribute) else
                                         getattr(n.func, "id", "")) in _ALLOCATIONS for n in ast.walk(node)):
        return False
    names = [ctx.text.of(n) for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute, ast.Subscript)) and
             isinstance(n.ctx, ast.Load)]  # `cache["x"]` is a cached value too
    return any(n in ctx.cached for n in names) and not any(is_gradient(n) for n in names)


def _last_name(text: str) -> str:
    return re.sub(r"\W", "", text.split(".")[-1].split("[")[-1])


def expression_edits(stmt: ast.stmt, ctx: Context) -> Iterator[Edit]:
    """Every expression-level edit of `stmt` (its value, and the index of an indexed target)."""
    if isinstance(stmt, ast.AugAssign):  # `+=` where `-=` belongs is a sign, `*=` for `/=` a factor
        for old, new in (("+=", "-="), ("-=", "+="), ("*=", "/="), ("/=", "*=")):
            e = ctx.text.operator(stmt.target, stmt.value, old, new, f"{new} instead of {old}",
                                  family="sign" if "+" in old + new else "factor")
            if e is not None:
                yield e
    roots: list[ast.AST] = []
    if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr)) and stmt.value is not None:
        roots.append(stmt.value)
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(stmt, ast.AugAssign) else []
    roots += [t.slice for t in targets if isinstance(t, ast.Subscript)]
    if isinstance(stmt, ast.If):  # never a `while` test: a turned comparison there can loop forever
        roots.append(stmt.test)
    for root in roots:
        parents = parents_of(root)
        for node in ast.walk(root):
            yield from _node_edits(node, ctx, needed_at(node, parents.get(id(node))))


def _node_edits(node: ast.AST, ctx: Context, need: int) -> Iterator[Edit]:
    t = ctx.text
    if isinstance(node, ast.BinOp):
        yield from _binop_edits(node, ctx, need)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.Invert)):
        what = "the minus sign" if isinstance(node.op, ast.USub) else "the `~`"
        yield t.replace(node, t.of(node.operand), precedence(node.operand), f"remove {what}", need=need,
                        family="sign" if isinstance(node.op, ast.USub) else "compare")
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield t.replace(node, t.of(node.value), precedence(node.value), "remove the transpose", need=need,
                        family="transpose")
    elif isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _TURNED:
        for new in _TURNED[type(node.ops[0])]:
            e = t.operator(node.left, node.comparators[0], _SYMBOL[type(node.ops[0])], new, f"compare with {new}",
                           family="compare")
            if e is not None:
                yield e
    elif isinstance(node, ast.Call):
        yield from _call_edits(node, ctx, need)
    elif isinstance(node, ast.IfExp):  # a special case that should not be one (`h if t > 0 else zeros`), or the reverse
        for branch in (node.body, node.orelse):
            yield t.replace(node, t.of(branch), precedence(branch), f"always {_short(t.of(branch))}", need=need,
                            family="reference")
    elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute) and node.value.attr == "shape" \
            and isinstance(node.slice, ast.Constant) and node.slice.value == 0:  # a mean over N where N * T belongs
        yield t.replace(node, f"{t.of(node.value.value)}.size", ATOM, "count every element, not the batch",
                        family="factor", need=need)
    elif isinstance(node, ast.Attribute) and node.attr == "size":
        yield t.replace(node, f"{t.of(node.value)}.shape[0]", ATOM, "count the batch, not every element",
                        family="factor", need=need)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and \
            isinstance(node.slice.value, str):
        yield t.replace(node, t.of(node.value), precedence(node.value), "use the value itself, not an item of it",
                        family="reference")
    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(node.ctx, ast.Load):
        yield from _reference_edits(node, ctx, need)
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Load) and \
            is_gradient(t.of(node)):
        for other in ctx.refs:  # a path dropped: the gradient that also flows in from the next step or branch
            if is_gradient(other) and other != t.of(node).split("[")[0]:
                yield t.replace(node, f"{t.of(node)} + {other}", 10, f"add {other}", family="term", need=need)
            elif not is_gradient(other):  # a factor of the chain rule left out (`dout` where `dout * gamma` is)
                yield t.replace(node, f"{t.of(node)} * {other}", 11, f"multiply {t.of(node)} by {other}",
                                family="chain", need=need)


def _binop_edits(node: ast.BinOp, ctx: Context, need: int) -> Iterator[Edit]:
    t = ctx.text
    op, sym = type(node.op), _SYMBOL.get(type(node.op))
    left, rgt = node.left, node.right
    if op in (ast.Mult, ast.Div, ast.FloorDiv, ast.Add, ast.Sub):
        yield t.replace(node, t.of(left), precedence(left), f"remove `{_short(t.between(t.end(left), t.end(node)))}`",
                        need=need, family="drop")
    if op in (ast.Mult, ast.Add):
        yield t.replace(node, t.of(rgt), precedence(rgt), f"remove `{t.of(left)} {sym}`", need=need,
                        family="drop")
    if op is ast.Sub:
        yield t.replace(node, f"-{_wrapped(t, rgt, 12)}", 12, f"remove `{t.of(left)}`", need=need,
                        family="sign")
        yield t.replace(node, f"{t.of(rgt)} - {_wrapped(t, left, 10, right_side=True)}", 10,
                        "swap the two sides of the difference", need=need, family="sign")
    for a, b in ((ast.Mult, ast.Div), (ast.Div, ast.Mult), (ast.Add, ast.Sub), (ast.Sub, ast.Add)):
        if op is a:
            e = t.operator(left, rgt, _SYMBOL[a], _SYMBOL[b], f"write {_SYMBOL[b]} for {_SYMBOL[a]}",
                           family="factor" if a in (ast.Mult, ast.Div) else "sign")
            if e is not None:
                yield e
    if op is ast.MatMult:
        yield t.replace(node, f"{_transposed(t, rgt)} @ {_transposed(t, left)}", 11,
                        "transpose the product (swap its factors)", need=need, family="transpose")
        yield t.replace(node, f"{t.atom(rgt)} @ {t.atom(left)}", 11, "swap the factors of the product",
                        need=need, family="transpose")


def _call_edits(node: ast.Call, ctx: Context, need: int) -> Iterator[Edit]:
    t = ctx.text
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    if name == "dot" and len(node.args) == 2 and not node.keywords:
        a, b = node.args
        head = t.of(node.func)
        yield t.replace(node, f"{head}({_transposed(t, b)}, {_transposed(t, a)})", ATOM, "transpose the product",
                        family="transpose")
        yield t.replace(node, f"{head}({t.of(b)}, {t.of(a)})", ATOM, "swap the factors of the product",
                        family="transpose")
    if name == "dot" and isinstance(node.func, ast.Attribute) and len(node.args) == 1 and not node.keywords:
        a, b = node.func.value, node.args[0]
        yield t.replace(node, f"{_transposed(t, b)}.dot({_transposed(t, a)})", ATOM, "transpose the product",
                        family="transpose")
    if name in _REDUCTIONS:
        yield from _reduction_edits(node, name, ctx)
    if name in ("exp", "expm1") and len(node.args) == 1:
        arg = t.of(node.args[0])
        for axis in ("1", "0"):
            shifted = f"{arg} - {ctx.numpy}.max({arg}, axis={axis}, keepdims=True)"
            yield t.replace(node.args[0], shifted, 10, "subtract the maximum before exp, so it cannot overflow",
                            family="shift")
    for kw in node.keywords:
        if kw.arg == "out":
            yield _drop_keyword(t, node, kw, "write the result into a new array, not into the input", "copy")
    if len(node.args) == 1 and not node.keywords and isinstance(node.func, (ast.Name, ast.Attribute)) and \
            not isinstance(node.args[0], ast.Starred):
        yield t.replace(node, t.of(node.args[0]), precedence(node.args[0]), f"remove the call of {t.of(node.func)}",
                        need=need, family="call")


def _reduction_edits(node: ast.Call, name: str, ctx: Context) -> Iterator[Edit]:
    t = ctx.text
    axis = next((k for k in node.keywords if k.arg == "axis"), None)
    keep = next((k for k in node.keywords if k.arg == "keepdims"), None)
    if axis is not None:
        for value in _axes_to_offer(t):
            if value != t.of(axis.value):
                yield Edit(t.start(axis.value), t.end(axis.value), value, f"reduce over axis {value}", "axis")
        yield _drop_keyword(t, node, axis, "reduce over every axis", "axis")
        # a normalisation's statistics taken over the batch too (`axis=(0, 2, 3, 4)` where each sample's own belong)
        if isinstance(axis.value, ast.Tuple) and len(axis.value.elts) > 1 and \
                any(isinstance(e, ast.Constant) and e.value == 0 for e in axis.value.elts):
            rest = [t.of(e) for e in axis.value.elts if not (isinstance(e, ast.Constant) and e.value == 0)]
            value = rest[0] if len(rest) == 1 else f"({', '.join(rest)})"
            yield Edit(t.start(axis.value), t.end(axis.value), value, f"reduce over {value}, not the batch axis 0",
                       "axis")
    elif len(node.args) <= (1 if isinstance(node.func, ast.Name) or _is_module_call(node, ctx) else 0):
        sep = ", " if node.args else ""
        # the file's own style first: where it keeps reduced axes (a (1, D) parameter's gradient, `keepdims=True`
        # beside it), a (D,) gradient that a lenient check lets pass for it is not the fix
        kept = "keepdims=True" in t.text.replace(" ", "")
        for value in _AXES:
            edits = [t.insert_before(node, f"{sep}axis={value}", f"reduce over axis {value} only"),
                     t.insert_before(node, f"{sep}axis={value}, keepdims=True",
                                     f"reduce over axis {value}, keeping it")]
            yield from edits[::-1] if kept else edits
    if keep is not None:
        yield _drop_keyword(t, node, keep, "do not keep the reduced axis", "axis")
    elif axis is not None:
        yield t.insert_before(node, ", keepdims=True", "keep the reduced axis")
    other = {"sum": "mean", "mean": "sum"}.get(name)
    if other and isinstance(node.func, ast.Attribute):
        line, col = t.end(node.func)
        yield Edit((line, col - len(name)), (line, col), other, f"{other} instead of {name}", "factor")


def _is_module_call(node: ast.Call, ctx: Context) -> bool:
    return isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and \
        node.func.value.id == ctx.numpy


def _drop_keyword(t: Text, node: ast.Call, kw: ast.keyword, why: str, family: str) -> Edit:
    items: list[ast.AST] = [*node.args, *node.keywords]
    at = items.index(kw)
    if at > 0:  # `, axis=0` goes with the comma before it
        return Edit(t.end(items[at - 1]), t.end(kw), "", why, family)
    if len(items) > 1:
        return Edit(t.start(kw), t.start(items[1]), "", why, family)
    return Edit(t.start(kw), t.end(kw), "", why, family)


def _reference_edits(node: ast.Name | ast.Attribute, ctx: Context, need: int) -> Iterator[Edit]:
    t = ctx.text
    here = t.of(node)
    if here not in ctx.refs:
        return
    for other in ctx.refs:
        if other != here:  # one setting for another (the pool's height for its width) is a family of its own
            yield t.replace(node, other, ATOM, f"use {other} where {here} is",
                            family="setting" if here in ctx.hypers and other in ctx.hypers else "reference")
    yield t.replace(node, f"{here}.T", ATOM, f"transpose {here}", family="transpose")
    yield t.replace(node, f"-{here}", 12, f"negate {here}", family="negate", need=need)
    for func in ctx.funcs:
        yield t.replace(node, f"{func}({here})", ATOM, f"apply {func} to {here}", family="call")


def same_letters(text: str, name: str) -> bool:
    """Whether the last name of `text` (`self.nh`) is `name` (`hn`) written with its letters in any order or case, as
    users rename the arrays a reading names (`h_n`, `nh`)."""
    def letters(t: str) -> str:
        return "".join(sorted(c for c in t.split(".")[-1].lower() if c.isalnum()))
    return letters(text) == letters(name)


def is_gradient(text: str) -> bool:
    """Whether a name reads as a gradient the way course code names them (`dout`, `dh`, `dprev_h`, `grad`)."""
    last = text.split(".")[-1].split("[")[0]
    # `d` and a short name (dx, dW, dprev_h, dgamma, dout), not a word that merely starts with d; and the nnfs
    # book's longer ones (dvalues, dinputs, dweights, dbiases)
    return bool(re.fullmatch(r"d[a-zA-Z]{1,5}(_\w*|\d*)|d(values|inputs|outputs?|weights|biases)|\w*grad\w*",
                             last)) and last not in ("dtype", "dim", "dims")


def _transposed(t: Text, node: ast.AST) -> str:
    """`node`'s text transposed: `x.T` loses its `.T`, anything else gains one."""
    if isinstance(node, ast.Attribute) and node.attr == "T":
        return t.of(node.value)
    return f"{t.atom(node)}.T"


def _wrapped(t: Text, node: ast.AST, needed: int, *, right_side: bool = False) -> str:
    p = precedence(node)
    return f"({t.of(node)})" if p < needed or (right_side and p == needed) else t.of(node)


def _short(text: str) -> str:
    return " ".join(text.split())
