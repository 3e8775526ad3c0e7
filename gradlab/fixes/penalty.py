"""Candidate family "penalty": the regulariser's gradient added (`+ 2 * reg * W`, `+ reg * W`) where the loss
names a penalty `reg * np.sum(W * W)` and the gradient of `W` never gets its term.

The penalty is read off the loss function itself: a sum of squares of one of its arguments (`W * W`, `W ** 2`)
in a statement that also reads a strength (`reg`, `lam`, `reg_strength`). The edit goes on the last statement
that writes that argument's gradient (`dW = dW / num_train`) or on the returned gradient (`return loss, dW`, the
second of two values returned), both coefficients offered (`0.5 * reg * ...` in
the loss: `reg * W` first). A term the gradient has already, with the other coefficient (`dW += reg * W` for
`reg * np.sum(W * W)`), is given the loss's.
Non-goal: penalties of a model's parameter dictionaries (gradlab checks those as models).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.reads import names_read, statements_of
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text, needed_at, parents_of, written_value

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
        yield from _coefficient_edits(value, weight, strength, halved, t)
        for place in places:
            for coefficient in (strength, f"2 * {strength}") if halved else (f"2 * {strength}", strength):
                term = f"{coefficient} * {weight}"
                yield (t.replace(place, f"{t.of(place)} + {term}", 10, f"add the penalty's gradient {term}",
                                 family="penalty", need=0 if place is value else 1),)  # 1: in a tuple
    for layer_weight, layer_strength in _layer_penalties(value, t):
        yield from _coefficient_edits(value, layer_weight, layer_strength, False, t)


def _coefficient_edits(value: ast.expr, weight: str, strength: str, halved: bool,
                       t: Text) -> Iterator[tuple[Edit, ...]]:
    """The penalty's term already in the gradient (`reg * W`, `2 * reg * W`, `reg * W * 2`) with the coefficient the
    loss's penalty gives it, when it is written with another (`reg * W` for `reg * np.sum(W * W)`)."""
    parents = parents_of(value)
    right = f"{strength} * {weight}" if halved else f"2 * {strength} * {weight}"
    for node in ast.walk(value):
        # the largest product of the strength, the weight and constants: the whole term, not a factor of it
        if not _is_term(node, weight, strength, t) or _is_term(parents.get(id(node)), weight, strength, t):
            continue
        if t.of(node).replace(" ", "") != right.replace(" ", ""):
            yield (t.replace(node, right, 11, f"the penalty's gradient is {right}", family="penalty",
                             need=needed_at(node, parents.get(id(node)))),)


def _is_term(node: ast.AST | None, weight: str, strength: str, t: Text) -> bool:
    """Whether `node` is a product of `strength`, `weight` and numbers, both of them in it once (names, or
    attributes such as `self.weights`)."""
    if not isinstance(node, ast.BinOp) or not isinstance(node.op, (ast.Mult, ast.Div)):
        return False
    factors: list[ast.AST] = []
    stack: list[ast.AST] = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) or \
                isinstance(n, ast.BinOp) and isinstance(n.op, ast.Div) and isinstance(n.right, ast.Constant):
            stack += [n.left, n.right]
        else:
            factors.append(n)
    names = sorted(t.of(f) for f in factors if isinstance(f, (ast.Name, ast.Attribute)))
    numbers = all(isinstance(f, ast.Constant) and isinstance(f.value, (int, float)) for f in factors
                  if not isinstance(f, (ast.Name, ast.Attribute)))
    return numbers and names == sorted([weight, strength])


def _layer_penalties(value: ast.expr, t: Text) -> list[tuple[str, str]]:
    """(weight, strength) of each L2 penalty term of a layer that adds its own (nnfs's `self.weight_regularizer_l2 *
    self.weights`, `gradlab.conventions.regularisers`): the strength's penalty is `l2 * sum(W ** 2)`, unhalved."""
    out = []
    for node in ast.walk(value):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            factors = [t.of(f) for f in (node.left, node.right) if isinstance(f, (ast.Name, ast.Attribute))]
            strength = [f for f in factors if f.endswith("regularizer_l2")]
            weight = [f for f in factors if not f.endswith("regularizer_l2")]
            if len(strength) == 1 and len(weight) == 1:
                out.append((weight[0], strength[0]))
    return out


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
