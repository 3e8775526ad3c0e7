"""The parts a class-style layer builds in its constructor from other classes of its own file (`self.softmax =
Softmax()`): their methods are the layer's code too, searched with it (`gradlab.fixes.source`).
Non-goal: parts built from classes of other modules (a helper module's site), parts built outside the constructor.
"""

from __future__ import annotations

import ast

__all__ = ["composed"]


def composed(classes: list[tuple[type, ast.ClassDef]], top: dict[str, ast.stmt]) -> list[str]:
    """The classes of the same file the layer's constructor builds a part from (`self.softmax = Softmax()`, nnfs's
    `self.activation = Activation_Softmax()`) and whose methods it calls through that part: their code is the layer's
    too (a softmax over the batch axis in the part's forward), at most two, none of the layer's own classes."""
    own = {c.__name__ for c, _ in classes}
    out: list[str] = []
    for _, node in classes:
        init = next((m for m in node.body if isinstance(m, ast.FunctionDef) and m.name == "__init__"), None)
        if init is None:
            continue
        parts = {t.attr: n.value.func.id for n in ast.walk(init) if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Attribute) and isinstance(n.value, ast.Call) and
                 isinstance(n.value.func, ast.Name) and isinstance(top.get(n.value.func.id), ast.ClassDef)}
        called = {n.func.value.attr for n in ast.walk(node) if isinstance(n, ast.Call) and
                  isinstance(n.func, ast.Attribute) and isinstance(n.func.value, ast.Attribute) and
                  isinstance(n.func.value.value, ast.Name) and n.func.value.value.id == "self"}
        out += [cls for attr, cls in parts.items() if attr in called and cls not in own and cls not in out]
    return list(dict.fromkeys(out))[:2]
