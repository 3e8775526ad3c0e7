"""Candidate family "slot": a gradient bound to a list's place where it belongs written into the array already there
(`self.grads[0] = dW` where `self.grads[0][...] = dW` belongs; `grad = value` in a loop over `zip(self.grads, ...)`).

A class that hands its gradient arrays to an optimizer once (`self.grads = [np.zeros_like(W), ...]`, the second
volume's convention, or any list it builds of arrays) must write each gradient into those arrays: an assignment to
the list's place (or to the loop variable that walks it) puts a new array there, or nowhere, and the array the
optimizer holds stays zero. Offered for an assignment whose target is an element of a list attribute the class
binds to a list or tuple display (`self.grads[0] = ...`), or a loop variable bound from `zip(self.grads, ...)`: the
same target written with `[...]`, one candidate each.
Non-goal: gradients kept as attributes (`self.dW = dW` is the right way there), lists built by a comprehension.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["slot_edits"]

FAMILY = "slot"


def slot_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not ctx.in_class or not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
        return
    t = ctx.text
    target = stmt.targets[0]
    lists = _list_attributes(t.text)
    if isinstance(target, ast.Subscript) and t.of(target.value) in lists and not isinstance(target.slice, ast.Slice):
        line, col = t.end(target)
        yield (Edit((line, col), (line, col), "[...]", f"write into the array {t.of(target)} holds, not over it",
                    FAMILY),)
    elif isinstance(target, ast.Name) and target.id in _walkers(func, lists):
        line, col = t.end(target)
        yield (Edit((line, col), (line, col), "[...]", f"write into the array {target.id} is, not over the name",
                    FAMILY),)


def _list_attributes(text: str) -> set[str]:
    """`self.<name>` of each attribute some method binds to a list or tuple display (`self.grads = [...]`,
    `self.params, self.grads = [], []`)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return set()
    out: set[str] = set()
    for n in ast.walk(tree):
        if not isinstance(n, ast.Assign):
            continue
        for target in n.targets:
            pairs = zip(target.elts, n.value.elts) if isinstance(target, ast.Tuple) and \
                isinstance(n.value, ast.Tuple) and len(target.elts) == len(n.value.elts) else [(target, n.value)]
            for tg, v in pairs:
                if isinstance(tg, ast.Attribute) and isinstance(tg.value, ast.Name) and tg.value.id == "self" and \
                        isinstance(v, (ast.List, ast.Tuple)):
                    out.add(f"self.{tg.attr}")
    return out


def _walkers(func: ast.FunctionDef, lists: set[str]) -> set[str]:
    """The loop variables of `func` bound to the elements of one of `lists` (`for grad, value in zip(self.grads,
    ...)`, `for grad in self.grads`)."""
    out: set[str] = set()
    for loop in (n for n in ast.walk(func) if isinstance(n, ast.For)):
        it, target = loop.iter, loop.target
        sources = it.args if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "zip" \
            else [it]
        names = target.elts if isinstance(target, ast.Tuple) else [target]
        if len(sources) != len(names):
            continue
        for src, name in zip(sources, names, strict=True):
            if isinstance(name, ast.Name) and ast.unparse(src) in lists:
                out.add(name.id)
    return out
