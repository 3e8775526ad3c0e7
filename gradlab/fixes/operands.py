"""Candidate families for the operands of a product in forward whose paths the backward mishandles (a GRU's candidate
state reads `(r * prev_h) @ Wh_n`, and its output adds `z * prev_h`):
- "direct-term": an input's gradient started at zero (`dprev_h = 0`) where the forward's output adds that input times
  a factor (`next_h = (1 - z) * n + z * prev_h`): started at the upstream gradient times that factor
  (`dprev_h = dnext_h * z`);
- "operand-path": the gradient of a product `a * b` sent to one operand (`dr = drh * prev_h`) and not to the other,
  an input whose gradient the backward accumulates (`dprev_h`): `dprev_h += drh * r` added after it;
- "product-operand": a weight's gradient taken with an operand of the product the forward multiplied the weight by
  (`prev_h.T.dot(dan)` where forward read `(r * prev_h).dot(Wh[:, 2 * H:])`): that product in its place.
Each is one candidate a statement; verified like every candidate.
Non-goal: products of more than two operands, paths through functions of the input.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context, is_gradient
from gradlab.fixes.literals import forward_functions
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.spans import Text

__all__ = ["direct_term_edits", "operand_path_edits", "product_operand_edits"]


def _products(forwards: list[ast.FunctionDef], t: Text) -> list[tuple[str, str]]:
    """(a, b) of every product `a * b` of two names in the forwards, both orders."""
    out: list[tuple[str, str]] = []
    for f in forwards:
        for n in ast.walk(f):
            if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Mult) and isinstance(n.left, ast.Name) and \
                    isinstance(n.right, ast.Name):
                out += [(n.left.id, n.right.id), (n.right.id, n.left.id)]
    return out


def direct_term_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name) or \
            not (isinstance(stmt.value, ast.Constant) and stmt.value.value == 0):
        return
    name = stmt.targets[0].id
    params = [a.arg for a in func.args.args if a.arg not in ("self", "ctx")]
    if not params or not is_gradient(name) or "backward" not in func.name:
        return
    t = ctx.text
    forwards = forward_functions(t.text, func)
    inputs = {a.arg for f in forwards for a in f.args.args}
    target = name[1:]
    if target not in inputs:
        return
    for factor in dict.fromkeys(b for a, b in _products(forwards, t) if a == target):
        yield (t.replace(stmt.value, f"{params[0]} * {factor}", 11, f"start {name} with the direct path of the "
                         f"output's {factor} * {target} term", family="direct-term", need=0),)


def operand_path_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1 or not isinstance(stmt.targets[0], ast.Name) or \
            not (isinstance(stmt.value, ast.BinOp) and isinstance(stmt.value.op, ast.Mult)) or \
            not isinstance(stmt.value.right, ast.Name) or not isinstance(stmt.value.left, ast.Name):
        return
    t = ctx.text
    gate, grad, other = stmt.targets[0].id[1:], stmt.value.left.id, stmt.value.right.id
    if (gate, other) not in _products(forward_functions(t.text, func), t):
        return
    accumulated = f"d{other}"
    bound_before = any(isinstance(n, ast.Assign) and n.lineno < stmt.lineno and
                       any(isinstance(tg, ast.Name) and tg.id == accumulated for tg in n.targets)
                       for n in ast.walk(func))
    text = f"{grad} * {gate}"
    if not bound_before or any(text in t.of(s) for s in ast.walk(func) if isinstance(s, ast.AugAssign)):
        return
    line = (stmt.end_lineno or stmt.lineno) + 1
    yield (Edit((line, 0), (line, 0), f"{t.indent(stmt.lineno)}{accumulated} += {text}\n",
                f"send {grad}, the gradient of {gate} * {other}, to {other} too", "operand-path"),)


def product_operand_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not isinstance(stmt, (ast.Assign, ast.Return)) or stmt.value is None or "backward" not in func.name:
        return
    t = ctx.text
    operands: list[ast.BinOp] = [n.func.value for f in forward_functions(t.text, func) for n in ast.walk(f)
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "dot" and
                isinstance(n.func.value, ast.BinOp) and isinstance(n.func.value.op, ast.Mult)] + \
        [n.left for f in forward_functions(t.text, func) for n in ast.walk(f)
         if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult) and isinstance(n.left, ast.BinOp) and
         isinstance(n.left.op, ast.Mult)]
    products = {t.of(p): {t.of(s) for s in (p.left, p.right) if isinstance(s, ast.Name)} for p in operands}
    for node in ast.walk(stmt.value):
        # `prev_h.T`: an operand read transposed, as a weight's gradient reads it
        if not (isinstance(node, ast.Attribute) and node.attr == "T" and isinstance(node.value, ast.Name)):
            continue
        for product, names in products.items():
            if node.value.id in names:
                yield (Edit(t.start(node.value), t.end(node.value), f"({product})",
                            f"take the weight's gradient with {product}, what forward multiplied it by",
                            "product-operand"),)
