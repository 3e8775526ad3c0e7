"""Candidate family "keep-gradient": a gradient a class's backward computes into a local name and never keeps where
the check (and the model around the layer) reads it (`dh` of a stateful time layer, computed through the loop and
never written to `self.dh`; `dx` kept nowhere by a layer whose caller reads `self.dx`).

Offered for a class's backward, for each gradient the check found never computed (an attribute it reads left unset,
or None) whose name the backward binds as a local (`dh`): a line `self.dh = dh` before the backward's last
`return` (or at its end), one candidate a name. And where the class keeps its gradients in the second volume's
`self.grads` list, a local the backward only builds up and never reads (`grad += layer.grads[0]`): a line
`self.grads[i][...] = grad` there, `i` the slot of the failing gradient's parameter in `self.params`.
Non-goal: a gradient never computed at all (a formula to write), one kept under another name.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["keep_gradient_edits"]

FAMILY = "keep-gradient"
#: locals never read offered a slot, at most
MAX_LOCALS = 2


def keep_gradient_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    if not ctx.in_class or not func.body or stmt is not func.body[-1]:  # once a function, at its last statement
        return
    t = ctx.text
    locals_ = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    kept = {n.attr for n in ast.walk(func) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store)}
    line = stmt.lineno if isinstance(stmt, ast.Return) else stmt.end_lineno + 1  # type: ignore[operator]
    indent = t.indent(func.body[0].lineno)
    for name in ctx.failing:
        if not name.isidentifier() or name not in locals_ or name in kept:
            continue
        yield (Edit((line, 0), (line, 0), f"{indent}self.{name} = {name}\n",
                    f"keep {name} in self.{name}, where it is read", FAMILY),)
    # a sum built in a local and never read (`grad += layer.grads[0]` over the steps): kept in the failing
    # gradient's slot of the second volume's `self.grads` (the slot of its parameter in `self.params`)
    slots = _slots(t.text, func)
    for local in _unread_locals(func)[:MAX_LOCALS]:
        for name in ctx.failing if "grads" in t.text else ():
            listed = re.fullmatch(r"grads\[(\d+)\]", name)  # the check names the slot, or the parameter's gradient
            slot = int(listed.group(1)) if listed else slots.get(name[1:]) if name.startswith("d") else None
            if slot is not None and local != name:
                yield (Edit((line, 0), (line, 0), f"{indent}self.grads[{slot}][...] = {local}\n",
                            f"keep {local} in self.grads[{slot}], where {name} is read", FAMILY),)


def _unread_locals(func: ast.FunctionDef) -> list[str]:
    """The names `func` binds and never reads but to update them (`grad = 0`, `grad += g`), in order."""
    stored = [n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
    updated = {st.target.id for st in ast.walk(func)
               if isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name)}
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return [n for n in dict.fromkeys(stored) if n in updated and n not in read]


def _slots(text: str, func: ast.FunctionDef) -> dict[str, int]:
    """Each parameter's slot in the class's `self.params = [W, b]` (`{"W": 0, "b": 1}`), for the class of `func`."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return {}
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        if not any(isinstance(m, ast.FunctionDef) and m.lineno == func.lineno for m in cls.body):
            continue
        for n in ast.walk(cls):
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.value, (ast.List, ast.Tuple)) and \
                    isinstance(n.targets[0], ast.Attribute) and n.targets[0].attr == "params":
                return {e.id: i for i, e in enumerate(n.value.elts) if isinstance(e, ast.Name)}
    return {}
