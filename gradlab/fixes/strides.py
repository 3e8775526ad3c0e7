"""Candidate family "stride": a window's start written without the stride, or with something else in its place
(`dx[:, :, i: i + k]` where output i's window starts at `i * self.stride`; `r0, c0 = i * HH, j * WW` where the
pool's stride, not its size, steps the windows).

In a loop over the outputs, the window of output `i` starts at `i * stride`; at stride 1 (and where the stride
equals the window) a start written `i` or `i * HH` is right, so the slip hides until the two differ. Offered for a
statement inside a `for` over a `range`, in a function that names a stride (a name or attribute with "stride" in
it, or one bound from a setting so keyed: `S = conv_param["stride"]`): in each subscript's index, and in a tuple of
starts (`r0, c0 = ...`, `hs, ws = i, j`), every loop variable that begins a slice's bound or a product (`i`, `i * HH`),
or is a start of such a tuple by itself, becomes
`i * stride`, all of one index (or tuple) at once (the same slip is written for H and for W); the reverse, a
`i * stride` that is not due (an output's own position), becomes `i`. One candidate per index and stride name.
Non-goal: a step added to a slice (`a:b` to `a:b:s`), strides held in tuples (`stride[0]`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import needed_at, parents_of

__all__ = ["stride_edits"]

#: stride names tried, at most
MAX_STRIDES = 2


def stride_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return)):
        return
    loops = _loop_names(func, stmt)
    strides = _stride_names(func, ctx) if loops else []
    if not strides:
        return
    t = ctx.text
    parents = parents_of(stmt)
    for group in _groups(stmt):
        for stride in strides:
            edits: list[Edit] = []
            undone: list[Edit] = []
            for node in (n for n in ast.walk(group) if isinstance(n, ast.Name) and n.id in loops):
                parent = parents.get(id(node))
                # a start that is the loop variable alone, in a tuple of starts (`hs, ws = i, j`), begins a window too
                if not _starts(node, parent, parents) and not (parent is group and isinstance(group, ast.Tuple) and
                                                                group is getattr(stmt, "value", None)):
                    continue
                if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult) and parent.left is node:
                    if t.of(parent.right) == stride:
                        undone.append(t.replace(parent, node.id, 20, f"index output {node.id} itself, not its "
                                                f"window's start", family="stride",
                                                need=needed_at(parent, parents.get(id(parent)))))
                        continue
                    edits.append(t.replace(parent, f"{node.id} * {stride}", 11, f"start each window at its "
                                           f"output's index times {stride}", family="stride",
                                           need=needed_at(parent, parents.get(id(parent)))))
                else:
                    edits.append(t.replace(node, f"{node.id} * {stride}", 11, f"start each window at its "
                                           f"output's index times {stride}", family="stride",
                                           need=needed_at(node, parent)))
            for found in (edits, undone):
                if found:
                    yield tuple(found)
    yield from _bare_starts(stmt, ctx, func, loops, strides)


def _bare_starts(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef, loops: set[str],
                 strides: list[str]) -> Iterator[tuple[Edit, ...]]:
    """A window's starts bound one statement each to a loop variable alone (`hs = i`, then `ws = j`), each later a
    slice's start: all of them at once times the stride (the same slip written for H and for W), at most three."""
    if not _bare_start(stmt, loops):
        return
    block = next((body for n in ast.walk(func) for body in (getattr(n, "body", None),)
                  if isinstance(body, list) and any(s is stmt for s in body)), [])
    at = next(i for i, s in enumerate(block) if s is stmt)
    if at and _bare_start(block[at - 1], loops):
        return  # the first of the run offers the run
    run = [stmt]
    for s in block[at + 1:]:
        if not _bare_start(s, loops) or len(run) == 3:
            break
        run.append(s)
    bounds = {n.id for n in ast.walk(func) if isinstance(n, ast.Slice) for b in (n.lower, n.upper) if b is not None
              for n in ast.walk(b) if isinstance(n, ast.Name)}
    if not all(s.targets[0].id in bounds for s in run):  # type: ignore[attr-defined]
        return
    t = ctx.text
    for stride in strides:
        yield tuple(t.replace(s.value, f"{t.of(s.value)} * {stride}", 11,  # type: ignore[attr-defined]
                              f"start each window at its output's index times {stride}", family="stride", need=0)
                    for s in run)


def _bare_start(stmt: ast.stmt, loops: set[str]) -> bool:
    """`hs = i`: a name bound to a loop variable alone."""
    return isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) and \
        isinstance(stmt.value, ast.Name) and stmt.value.id in loops


def _loop_names(func: ast.FunctionDef, stmt: ast.stmt) -> set[str]:
    """The variables of the `for ... in range(...)` loops around `stmt`."""
    out: set[str] = set()
    for loop in (n for n in ast.walk(func) if isinstance(n, ast.For)):
        if isinstance(loop.target, ast.Name) and isinstance(loop.iter, ast.Call) and \
                getattr(loop.iter.func, "id", "") == "range" and any(s is stmt for s in ast.walk(loop)):
            out.add(loop.target.id)
    return out


def _stride_names(func: ast.FunctionDef, ctx: Context) -> list[str]:
    """The stride as the code names it: a name or attribute with "stride" in it (`stride`, `self.stride`), or a
    name bound from a setting keyed "stride" (`S = conv_param["stride"]`)."""
    out = [r for r in [*ctx.refs, *ctx.hypers] if "stride" in r.rsplit(".", 1)[-1].lower() and "[" not in r]
    for st in statements_of(func):  # `S = conv_param["stride"]`, `ph, pw, s = p["pool_height"], ..., p["stride"]`
        if not isinstance(st, ast.Assign) or len(st.targets) != 1:
            continue
        target, value = st.targets[0], st.value
        pairs = [(target, value)] if isinstance(target, ast.Name) else \
            list(zip(target.elts, value.elts, strict=True)) if isinstance(target, ast.Tuple) and \
            isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts) else []
        out += [t.id for t, v in pairs if isinstance(t, ast.Name) and "stride" in _key_of(v).lower()]
    return list(dict.fromkeys(out))[:MAX_STRIDES]


def _key_of(value: ast.expr) -> str:
    """The key a setting is read by: `p["stride"]`, `p.get("stride", 1)`; "" for any other value."""
    if isinstance(value, ast.Subscript) and isinstance(value.slice, ast.Constant):
        return str(value.slice.value)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get" and \
            value.args and isinstance(value.args[0], ast.Constant):
        return str(value.args[0].value)
    return ""


def _groups(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The indices of the statement's subscripts, and a tuple of starts it assigns (`r0, c0 = i * HH, j * WW`)."""
    for node in ast.walk(stmt):
        if isinstance(node, ast.Subscript):
            yield node.slice
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Tuple) and \
            all(isinstance(e, (ast.BinOp, ast.Name)) for e in stmt.value.elts):
        yield stmt.value


def _starts(node: ast.Name, parent: ast.AST | None, parents: dict[int, ast.AST]) -> bool:
    """Whether the loop variable `node` begins a window's bound: a slice's bound itself (`i:`), the left of a sum
    that is one or a position of an index (`i + k`), or the left of a product (`i * HH`) — not a single position
    (`dout[:, :, i]`)."""
    if isinstance(parent, ast.Slice):
        return True
    if isinstance(parent, ast.BinOp) and parent.left is node:
        if isinstance(parent.op, ast.Mult):
            return True
        # `i + k` as a slice's bound, or as a position of an index (`dx[n, c, i + k, j + l]`: k within the window)
        return isinstance(parent.op, ast.Add) and isinstance(parents.get(id(parent)), (ast.Slice, ast.Tuple))
    return False
