"""Candidate family "penalty": the regulariser's gradient added (`+ 2 * reg * W`, `+ reg * W`) where the loss
names a penalty `reg * np.sum(W * W)` and the gradient of `W` never gets its term.

The penalty is read off the loss function itself: a sum of squares of one of its arguments (`W * W`, `W ** 2`)
in a statement that also reads a strength (`reg`, `lam`, `reg_strength`). The edit goes on the last statement
that writes that argument's gradient (`dW = dW / num_train`) or on the returned gradient (`return loss, dW`, the
second of two values returned), both coefficients offered (`0.5 * reg * ...` in
the loss: `reg * W` first).
Non-goal: penalties of a model's parameter dictionaries (gradlab checks those as models).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import names_read, statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import written_value

__all__ = ["penalty_edits"]


def penalty_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    value = written_value(stmt)
    if value is None:
        return
    t = ctx.text
    for weight, strength, halved in _penalties(func, ctx):
        gradient = f"d{weight}"
        writes = [st for st in statements_of(func) if isinstance(st, (ast.Assign, ast.AugAssign)) and
                  t.of(st.targets[0] if isinstance(st, ast.Assign) else st.target) == gradient]
        if isinstance(stmt, ast.Return):  # `return loss, dW + reg * W`: after every write, whatever they are
            values = value.elts if isinstance(value, ast.Tuple) else [value]
            places: list[ast.expr] = [v for v in values if isinstance(v, ast.Name) and v.id == gradient]
            if not places and len(values) == 2 and not _squares(values[1], weight):  # `return loss, X.T @ g / N`
                places = [values[1]]
        else:  # the last write, when it sets or adds (`dW /= N` would divide the term too)
            places = [value] if writes and writes[-1] is stmt and (
                isinstance(stmt, ast.Assign) or isinstance(stmt.op, ast.Add)) else []
        for place in places:
            for coefficient in (strength, f"2 * {strength}") if halved else (f"2 * {strength}", strength):
                term = f"{coefficient} * {weight}"
                yield (t.replace(place, f"{t.of(place)} + {term}", 10, f"add the penalty's gradient {term}",
                                 family="penalty", need=0 if place is value else 1),)  # 1: in a tuple


def _penalties(func: ast.FunctionDef, ctx: Context) -> list[tuple[str, str, bool]]:
    """(weight, strength, whether the penalty is halved) of each penalty the function's loss names."""
    args = [a.arg for a in func.args.args]
    strengths = [a for a in args if any(k in a.lower() for k in ("reg", "lam", "decay"))]
    out: list[tuple[str, str, bool]] = []
    for st in statements_of(func):
        if not strengths or not isinstance(st, (ast.Assign, ast.AugAssign, ast.Return)) or st.value is None:
            continue
        read = names_read(st.value, ctx)
        for strength in (s for s in strengths if s in read):
            for call in (n for n in ast.walk(st.value) if isinstance(n, ast.Call) and _is_sum(n)):
                squared = [w for w in args if w not in strengths and _squares(call, w)]
                out += [(w, strength, "0.5" in ctx.text.of(st.value) or "/ 2" in ctx.text.of(st.value))
                        for w in squared]
    return list(dict.fromkeys(out))


def _is_sum(call: ast.Call) -> bool:
    return (call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")) == "sum"


def _squares(call: ast.expr, weight: str) -> bool:
    """Whether `call` sums the squares of `weight` (`np.sum(W * W)`, `np.sum(W ** 2)`, `(W ** 2).sum()`)."""
    for n in ast.walk(call):
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and all(
                isinstance(s, ast.Name) and s.id == weight for s in (n.left, n.right)):
            return True
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) and isinstance(n.left, ast.Name) and \
                n.left.id == weight and isinstance(n.right, ast.Constant) and n.right.value == 2:
            return True
    return False
