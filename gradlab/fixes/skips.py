"""Candidate family "skip": the gradient of an input that reaches the output by two paths, returned with one of them
(a residual block's `dh @ W1.T` where `dh @ W1.T + ds` belongs: its input was also added to the output directly).

A forward that adds its own input, as it received it, into a sum (`h @ W2 + b2 + x`, `x + self.branch(x)`) sends
the gradient of that sum straight back to the input; a backward that returns only the gradient of the other path
has dropped that term. Offered for the value a backward returns (or the returned name's last assignment): plus each
gradient the backward holds at that point that is the upstream gradient or built from it (`dout`, `ds`, `g2`), the
latest first, at most MAX_TERMS.
Non-goal: an input that reaches the sum through a function of it (its gradient is that function's chain rule).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.literals import forward_functions
from gradlab.fixes.reads import gradient_params, statements_of
from gradlab.fixes.rebuild import Edit

__all__ = ["MAX_TERMS", "skip_edits"]

FAMILY = "skip"
#: the gradients offered as the dropped term of one returned value, at most
MAX_TERMS = 4


def skip_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Return, ast.Assign)) or stmt.value is None or not _input_added(ctx, func):
        return
    body = statements_of(func)
    returns = [s for s in body if isinstance(s, ast.Return) and s.value is not None]
    if len(returns) != 1:
        return
    returned: ast.expr = returns[0].value  # type: ignore[assignment]
    value: ast.expr | None
    if isinstance(stmt, ast.Assign):  # `dx = ...` then `return dx` (or `return dx, dW`): the assignment is edited
        first = returned.elts[0] if isinstance(returned, ast.Tuple) and returned.elts else returned
        if len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name) or \
                not isinstance(first, ast.Name) or stmt.targets[0].id != first.id:
            return
        value = stmt.value
    elif isinstance(returned, ast.Tuple):  # a function's `return dx, dw, db`: its first value is the input's
        value = returned.elts[0] if returned.elts else None
    else:
        value = returned
    if value is None or isinstance(value, (ast.Name, ast.Tuple)):
        return
    t = ctx.text
    # the gradients returned beside it (a function's dw, db) are of parameters, not of the sum the input joins
    returned_names = {n.id for n in ast.walk(returned) if isinstance(n, ast.Name)}
    terms = [g for g in _upstream_built(body, func, stmt.lineno) if g not in returned_names]
    for term in terms[:MAX_TERMS]:
        if term not in t.of(value):
            yield (t.replace(value, f"{t.of(value)} + {term}", 10,
                             f"add {term}, the gradient the input gets through the sum it is added to",
                             family=FAMILY, need=0),)


def _input_added(ctx: Context, func: ast.FunctionDef) -> bool:
    """Whether the layer's forward adds its first input as it came into a sum (`... + x`, `x + ...`)."""
    for f in forward_functions(ctx.text.text, func):
        args = [a.arg for a in f.args.args if a.arg != "self"]
        if not args:
            continue
        kept = {args[0]} | {ctx.text.of(t) for n in ast.walk(f) if isinstance(n, ast.Assign) and
                            isinstance(n.value, ast.Name) and n.value.id == args[0] for t in n.targets}
        if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Add) and
               any(ctx.text.of(side) in kept for side in (n.left, n.right)) for n in ast.walk(f)):
            return True
    return False


def _upstream_built(body: list[ast.stmt], func: ast.FunctionDef, before: int) -> list[str]:
    """The upstream gradients `func` receives and the names it binds, before line `before`, to values built from
    them, the latest first."""
    built = list(gradient_params(func))
    for s in body:
        if s.lineno >= before or not isinstance(s, ast.Assign):
            continue
        reads = {n.id for n in ast.walk(s.value) if isinstance(n, ast.Name)}
        if reads & set(built):
            built += [n.id for t in s.targets for n in ast.walk(t) if isinstance(n, ast.Name) and
                      isinstance(n.ctx, ast.Store) and n.id not in built]
    return list(reversed(built))
