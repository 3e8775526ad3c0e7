"""Candidate family "direction": a backward loop over time steps that runs the wrong way.

A recurrent backward hands the gradient of the hidden state from each step to the step before, so its loop must run
from the last step back (`for t in reversed(range(T))`); written `for t in range(T)`, each step is handed the
gradient of the step before it, not after it, and the first step's gradient reaches the later ones (misrouted). The
loop's body shows the carried gradient: a gradient name it reads before it writes it (`dh_t = dhs[:, t] + dh`, then
`dx, dh = ...`). Offered for such a loop over `range(...)` written without a step: the range reversed; and for one
over `reversed(range(...))`: the plain range (a forward-running recurrence, rarer). One candidate per loop, proposed
with the loop's first statement, so it is offered once.
Non-goal: a loop whose range runs backwards by its own step (`range(T - 1, -1, -1)`), and a loop whose steps are
independent (nothing is carried: the order does not matter).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.rebuild import Edit

__all__ = ["direction_edits"]

FAMILY = "direction"
#: the statements a family is shown (`gradlab.fixes.candidates._statements`): the loop's first of them proposes it
_SHOWN = (ast.Assign, ast.AugAssign, ast.Return, ast.Expr, ast.If)


def direction_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    for loop in (n for n in ast.walk(func) if isinstance(n, ast.For)):
        if next((s for s in loop.body if isinstance(s, _SHOWN)), None) is not stmt or not _carries(loop):
            continue
        it = loop.iter
        if _call_of(it, "range") and len(it.args) <= 2 and not it.keywords:  # type: ignore[attr-defined]
            new = f"reversed({t.of(it)})"
            yield (Edit(t.start(it), t.end(it), new, f"run the loop from the last step back: {new}", FAMILY),)
        elif _call_of(it, "reversed") and len(it.args) == 1 and _call_of(it.args[0], "range"):  # type: ignore[attr-defined]
            new = t.of(it.args[0])  # type: ignore[attr-defined]
            yield (Edit(t.start(it), t.end(it), new, f"run the loop from the first step on: {new}", FAMILY),)


def _call_of(node: ast.expr, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _carries(loop: ast.For) -> bool:
    """Whether the loop's body reads a gradient name before it writes it: a value handed from one step to the next."""
    written: set[str] = set()
    for st in sorted((s for s in ast.walk(loop) if isinstance(s, (ast.Assign, ast.AugAssign)) and s is not loop),
                     key=lambda s: (s.lineno, s.col_offset)):
        if isinstance(st, ast.Assign):  # `dWx += dWx_t` sums over the steps: it carries nothing from one to the next
            reads = {n.id for n in ast.walk(st.value) if isinstance(n, ast.Name)}
            if any(is_gradient(n) and n not in written for n in reads & _stored(loop)):
                return True
            written |= {n.id for tgt in st.targets for n in ast.walk(tgt) if isinstance(n, ast.Name)}
        else:
            written |= {n.id for n in ast.walk(st.target) if isinstance(n, ast.Name)}
    return False


def _stored(loop: ast.For) -> set[str]:
    return {n.id for s in loop.body for n in ast.walk(s) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
