"""Candidate family "unread": a gradient the backward computes and then never reads, where a returned gradient or
the next step needs it.

Three shapes of the slip, each where a call of another backward hands the value over:
- thrown away in an unpacking (`dx, _, dWx, dWh, db = rnn_backward(dh, cache)`, then `np.zeros(...)` returned for
  dh0): the `_` gets a name, and the name is returned in place of a returned expression (never in place of a name
  the code computed) or added to a returned name (`return dhs, dh` where `dhs + dhs1` belongs: a second path);
- a call made for its result and its result dropped (`self.backward_lstm.backward(dhs[:, ::-1, H:])`): bound to a
  name, returned so too; where the call was given its input reversed along an axis (`::-1`), also reversed back;
- a gradient name bound in a loop and never read (`dx, dh, dc = layer.backward(dhs[:, t] + dh, 0)`): handed to the
  next step where the same call is given a constant (0, None, a `zeros`) in its place (bound to that constant before
  the loop if it is not), or returned as above;
- a sandwich layer's cache unpacked and never read (`fc_cache, relu_cache = cache`, then `da = dout`): the gradient
  the statement copies passed back through that layer's backward, where the module has one (`relu_backward(dout,
  relu_cache)`).
The new name is the failing gradient's own where the value replaces a returned expression (`dh0`, `dprev_h`: the
gradient the check names), and the returned name's with the layer it came from (`dhs_weight`) where it is added.
Verified like every candidate: every gradient passes and the forward is unchanged.
Non-goal: a value never computed at all (a path the code forgot: `gradlab.fixes.candidates`' terms).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import replace

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["unread_edits"]

FAMILY = "unread"
#: how many fresh names one thrown-away value is offered under where it replaces a returned expression
MAX_NAMES = 2


def unread_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    yield from _skipped_layer(stmt, ctx, func)
    ret = _final_return(func)
    if ret is None or ret.value is None:
        return
    t = ctx.text
    used = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)} | {a.arg for a in func.args.args}
    call = _unpacked_call(stmt, func)
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and call is not None:
        target = stmt.targets[0]
        slots = target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]
        for slot in slots:
            if isinstance(slot, ast.Name) and slot.id == "_":
                for name, join in _joins(ret, ctx, used, _owner(stmt.value)):
                    yield _named(join, Edit(t.start(slot), t.end(slot), name, f"keep the value thrown away as {name}",
                                            FAMILY))
            elif isinstance(slot, ast.Name) and is_gradient(slot.id) and not _read(func, slot.id):
                yield from _carries(stmt, call, slot.id, ctx, func)
                for _name, join in _joins(ret, ctx, used, None, slot.id):
                    yield join
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) and _backward_call(stmt.value):
        flip = _reversal(stmt.value)
        for name, join in _joins(ret, ctx, used, _owner(stmt.value), flip=flip):
            yield _named(join, Edit(t.start(stmt), t.start(stmt), f"{name} = ", f"keep what the call returns as {name}",
                                    FAMILY))


def _named(join: tuple[Edit, ...], naming: Edit) -> tuple[Edit, ...]:
    """The edits that read a value and the one that names it, as one candidate that says both in one sentence. The
    reads first: the return writes the failing gradient, and the search ranks a candidate by its first edit."""
    why = f"{naming.why}, and {'; '.join(e.why for e in join)}"
    return (*(replace(e, why=why) for e in join), replace(naming, why=why))


def _skipped_layer(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    """A sandwich layer's gradient handed on past one of its layers (`da = dout` where `relu_backward(dout,
    relu_cache)` belongs): a cache the backward unpacks and never reads (`relu_cache`), whose layer's backward the
    module has (`relu_backward`), applied to a gradient the statement only copies."""
    if not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None:
        return
    # the gradient copied (`da = dout`), or handed as it is to the next layer's backward (`affine_backward(dout, ...)`)
    copied = [stmt.value] if isinstance(stmt.value, ast.Name) else \
        [c.args[0] for c in ast.walk(stmt.value) if isinstance(c, ast.Call) and _backward_call(c) and c.args and
         isinstance(c.args[0], ast.Name)]
    copied = [g for g in copied if isinstance(g, ast.Name) and is_gradient(g.id)]
    if not copied:
        return
    t = ctx.text
    stored = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    for cache in sorted(n for n in stored if n.endswith("_cache") and not _read(func, n)):
        backward = f"{cache[:-len('_cache')]}_backward"
        if not re.search(rf"^def {backward}\(|\bimport\b.*\b{backward}\b", t.text, re.M):
            continue
        for g in copied:
            new = f"{backward}({g.id}, {cache})"
            yield (Edit(t.start(g), t.end(g), new, f"pass {g.id} back through the layer {cache} was kept for: {new}",
                        FAMILY),)


def _joins(ret: ast.Return, ctx: Context, used: set[str], owner: str | None, name: str | None = None,
           flip: str = "") -> Iterator[tuple[str, tuple[Edit, ...]]]:
    """(the value's name, the edits of the return that read it): in place of a returned expression, or added to a
    returned name."""
    t = ctx.text
    value = ret.value
    assert value is not None
    elts = value.elts if isinstance(value, ast.Tuple) else [value]
    for e in elts:
        if isinstance(e, ast.Starred):
            continue
        if isinstance(e, ast.Name):  # a gradient the code computed: the value is a second path into it
            fresh = name or _fresh(f"{e.id}_{owner}" if owner else f"{e.id}2", used)
            reads = [f"{fresh}{r}" for r in dict.fromkeys(("", flip))]
            for read in reads:
                yield fresh, (Edit(t.end(e), t.end(e), f" + {read}", f"add {read} to {e.id}: a second path into it",
                                   FAMILY),)
        else:  # an expression returned where the value belongs (a zeros, a partial path)
            names = [name] if name else [n for n in ctx.failing if n.isidentifier() and n not in used][:MAX_NAMES]
            for fresh in names:
                for read in dict.fromkeys(("", flip)):
                    new = f"{fresh}{read}"
                    yield fresh, (Edit(t.start(e), t.end(e), new, f"return {new} in place of {t.of(e)}", FAMILY),)


def _unpacked_call(stmt: ast.stmt, func: ast.FunctionDef) -> ast.Call | None:
    """The backward call whose result `stmt` unpacks: its own value, or the call a name it reads was bound to on an
    earlier line (`step = lstm_step_backward(...)`, then `dx_t, dprev_h, dprev_c, ... = step`)."""
    if not isinstance(stmt, ast.Assign):
        return None
    if _backward_call(stmt.value):
        return stmt.value  # type: ignore[return-value]
    if not isinstance(stmt.value, ast.Name):
        return None
    bound = [s for s in statements_of(func) if isinstance(s, ast.Assign) and s.lineno < stmt.lineno and
             [ast.unparse(t) for t in s.targets] == [stmt.value.id]]
    last = bound[-1].value if bound else None
    return last if isinstance(last, ast.Call) and _backward_call(last) else None


def _carries(stmt: ast.Assign, call: ast.Call, name: str, ctx: Context,
             func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    """`name` handed to the next pass of the loop around `stmt`, where `call` (the call whose result `stmt` unpacks) is
    given a constant."""
    loop = next((n for n in ast.walk(func) if isinstance(n, (ast.For, ast.While)) and
                 any(s is stmt for s in ast.walk(n))), None)
    if loop is None or not any(s is call for s in ast.walk(loop)):
        return
    t = ctx.text
    bound_before = any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store)
                       for s in statements_of(func) if s.lineno < loop.lineno for n in ast.walk(s))
    for arg in call.args:
        if not _constant(arg, ctx.numpy):
            continue
        carry = Edit(t.start(arg), t.end(arg), name, f"hand {name} to the next step in place of {t.of(arg)}", FAMILY)
        if bound_before:
            yield (carry,)
        else:
            yield (carry, Edit((loop.lineno, 0), (loop.lineno, 0), f"{t.indent(loop.lineno)}{name} = {t.of(arg)}\n",
                               f"start {name} at {t.of(arg)}", FAMILY))


def _final_return(func: ast.FunctionDef) -> ast.Return | None:
    last = func.body[-1] if func.body else None
    return last if isinstance(last, ast.Return) else None


def _backward_call(value: ast.expr | None) -> bool:
    """A call of another layer's or function's backward (`layer.backward(...)`, `rnn_step_backward(...)`): what
    it returns is a gradient."""
    if not isinstance(value, ast.Call):
        return False
    f = value.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    return "backward" in name.lower()


def _owner(call: ast.expr) -> str | None:
    """The layer a method call asks (`self.weight.backward(...)`: weight), for the name of what it returns."""
    f = call.func if isinstance(call, ast.Call) else None
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Attribute) and \
            isinstance(f.value.value, ast.Name) and f.value.value.id == "self":
        return f.value.attr.strip("_")
    return None


def _reversal(call: ast.Call) -> str:
    """`[:, ::-1]` where the call's input is reversed along an axis (`dhs[:, ::-1, H:]`): its gradient comes back
    reversed too. Only the reversal is kept, up to its axis."""
    for arg in call.args:
        if isinstance(arg, ast.Subscript):
            dims = arg.slice.elts if isinstance(arg.slice, ast.Tuple) else [arg.slice]
            for k, d in enumerate(dims):
                if isinstance(d, ast.Slice) and d.lower is None and d.upper is None and \
                        isinstance(d.step, ast.UnaryOp) and isinstance(d.step.op, ast.USub) and \
                        isinstance(d.step.operand, ast.Constant) and d.step.operand.value == 1:
                    return "[" + ", ".join([":"] * k + ["::-1"]) + "]"
    return ""


def _constant(arg: ast.expr, numpy: str) -> bool:
    if isinstance(arg, ast.Constant) and (arg.value is None or isinstance(arg.value, (int, float))):
        return True
    return isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and \
        isinstance(arg.func.value, ast.Name) and arg.func.value.id == numpy and arg.func.attr in ("zeros", "zeros_like")


def _read(func: ast.FunctionDef, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) for n in ast.walk(func))


def _fresh(name: str, used: set[str]) -> str:
    base = re.sub(r"\W", "_", name)
    out, k = base, 2
    while out in used:
        out, k = f"{base}{k}", k + 1
    return out

