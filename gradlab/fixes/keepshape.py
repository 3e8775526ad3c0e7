"""Candidate family "keep-shape": the input's shape kept by forward, and backward's gradient reshaped back to it.

A class whose forward flattens its input (`self.x = x.reshape(x.shape[0], -1)`: an affine layer after a convolution)
and keeps no record of the shape it had cannot give the input's gradient back in that shape: backward returns (N, D)
where (N, C, H, W) belongs (wrong-shape). The fix is two lines, one in each method: forward keeps `x.shape` before it
flattens (`self.x_shape = x.shape`, under a name the class does not use), backward returns its gradient reshaped to
it. Offered for the `return` of a class's backward whose forward reshapes its first argument, in a class that keeps no
attribute of a shape anywhere (where one is kept, the shape edits of `gradlab.fixes.statements` reshape to it in one
line).
Non-goal: function-style layers (their backward reads the input from the cache, and reshapes to `x.shape` in one
line), and inputs flattened by another call than `reshape`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import ATOM, Text

__all__ = ["class_of", "forward_beside", "keep_shape_edits", "kept_allocation_edits", "kept_for_backward"]


def forward_beside(text: str, func: ast.FunctionDef) -> tuple[ast.ClassDef, ast.FunctionDef, str] | None:
    """The class holding `func`, its forward and the name forward gives its input; None where there is none (the
    edits that add a line to forward need all three)."""
    cls = class_of(text, func.lineno)
    forward = next((m for m in cls.body if isinstance(m, ast.FunctionDef) and m.name == "forward"), None) \
        if cls is not None else None
    if cls is None or forward is None or len(forward.args.args) < 2 or not forward.body:
        return None
    return cls, forward, forward.args.args[1].arg


def kept_for_backward(stmt: ast.stmt, ctx: Context,
                      func: ast.FunctionDef) -> tuple[ast.ClassDef, ast.FunctionDef, str] | None:
    """`forward_beside` for the families that make forward keep an array for a statement of backward (an assignment
    or a return of a value: keep-input, keep-output). None in a class other classes of the file inherit from: an
    Activation base whose backward feeds its kept array to each subclass's derivative would change under every one
    of them, which this layer's check does not see."""
    if not ctx.in_class or func.name != "backward" or not isinstance(stmt, (ast.Assign, ast.Return)) or \
            stmt.value is None:
        return None
    found = forward_beside(ctx.text.text, func)
    if found is None or any(isinstance(n, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == found[0].name
                                                                for b in n.bases)
                            for n in ast.walk(ast.parse(ctx.text.text))):
        return None
    return found


def keep_shape_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not ctx.in_class or not isinstance(stmt, ast.Return) or stmt.value is None or \
            isinstance(stmt.value, ast.Tuple) or func.name != "backward":
        return
    t = ctx.text
    found = forward_beside(t.text, func)
    if found is None:
        return
    cls, forward, x = found
    flattens = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "reshape" and
                   isinstance(n.func.value, ast.Name) and n.func.value.id == x for n in ast.walk(forward))
    # a shape the class keeps anywhere (`self.input_shape` from the constructor) is one the shape edits reshape to in
    # one line: no second line to add then (`_keep_line`)
    if not flattens:
        return
    kept = _keep_line(cls, forward, x, t)
    if kept is None:
        return
    name, line = kept
    why = f"keep {x}.shape in forward and reshape the gradient back to it"
    # the backward's edit first: the search ranks a candidate by its first edit's line, and this one is where the
    # gradient goes wrong, not the forward's line the output depends on
    yield (t.replace(stmt.value, f"{t.atom(stmt.value)}.reshape(self.{name})", ATOM, why, family="keep-shape",
                     need=0), replace(line, why=why))


def kept_allocation_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    """A gradient allocated in backward at a shape computed from the upstream gradient's (`np.zeros((N, C,
    k * (W_out - 1) + 1))`: the input's width guessed back from the output's, which a stride does not determine)
    allocated at the shape forward keeps of its input (`self.A_shape = A.shape`, a line added to forward), in a class
    that keeps no shape."""
    if not ctx.in_class or func.name != "backward" or not isinstance(stmt, ast.Assign) or \
            not isinstance(stmt.value, ast.Call) or _called(stmt.value) not in _ALLOCATIONS or not stmt.value.args:
        return
    shape = stmt.value.args[0]
    if not isinstance(shape, ast.Tuple) or not any(isinstance(e, ast.BinOp) for e in shape.elts):
        return
    t = ctx.text
    found = forward_beside(t.text, func)
    if found is None:
        return
    cls, forward, x = found
    kept = _keep_line(cls, forward, x, t)
    if kept is None:
        return
    name, line = kept
    why = f"keep {x}.shape in forward and allocate the gradient at it, not at a size guessed from the output's"
    yield (Edit(t.start(shape), t.end(shape), f"self.{name}", why, "keep-shape"), replace(line, why=why))


#: the allocations a gradient is started with
_ALLOCATIONS = {"zeros", "empty", "ones"}


def _called(call: ast.Call) -> str:
    """The called function's last name (`zeros` of `np.zeros`)."""
    return call.func.attr if isinstance(call.func, ast.Attribute) else call.func.id if isinstance(call.func, ast.Name) \
        else ""


def _keep_line(cls: ast.ClassDef, forward: ast.FunctionDef, x: str, t: Text) -> tuple[str, Edit] | None:
    """The attribute forward would keep `x.shape` in and the line that keeps it, put first in forward (after its
    docstring); None where the class keeps a shape already (`self.input_shape`: a one-line edit reads it) or forward
    has nothing but a docstring."""
    if any(isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and "shape" in n.attr for n in ast.walk(cls)):
        return None
    used = {n.attr for n in ast.walk(cls) if isinstance(n, ast.Attribute)}
    name = next(n for n in (f"{x}_shape", f"{x}_shape_", "input_shape_") if n not in used)
    first = forward.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):  # a docstring stays first
        if len(forward.body) < 2:
            return None
        first = forward.body[1]
    return name, Edit((first.lineno, 0), (first.lineno, 0), f"{t.indent(first.lineno)}self.{name} = {x}.shape\n", "",
                      "keep-shape")


def class_of(text: str, line: int) -> ast.ClassDef | None:
    """The class one of whose methods starts at `line`."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    return next((c for c in ast.walk(tree) if isinstance(c, ast.ClassDef) and
                 any(isinstance(m, ast.FunctionDef) and m.lineno == line for m in c.body)), None)
