"""Candidate family "saved": a parameter read after the update that replaced it, where the backward kept the old one
for that read (ML-From-Scratch's `W = self.W` before `self.W = self.W_opt.update(...)`, then `accum_grad.dot(self.W.T)`
where `W.T` belongs: the input's gradient taken with the weights after the step).

A backward that copies an attribute to a local before it rebinds the attribute, and never reads the local, kept it
for a read it then wrote with the attribute. Offered for a statement after the rebinding that reads the attribute:
every such read in it replaced by the local, one candidate a statement.
Non-goal: an update written in place (`self.W -= ...` through a view the local shares: the local changes too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from gradlab.fixes.expressions import Context
from gradlab.fixes.rebuild import Edit

__all__ = ["saved_edits"]

FAMILY = "saved"


def saved_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    t = ctx.text
    read = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    kept = {t.of(n.value): (n.targets[0].id, n.lineno) for n in ast.walk(func)
            if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name) and
            isinstance(n.value, ast.Attribute) and n.targets[0].id not in read}
    if not kept:
        return
    rebound = {t.of(target): n.lineno for n in ast.walk(func) if isinstance(n, ast.Assign) for target in n.targets
               if isinstance(target, ast.Attribute)}
    for attr, (local, line) in kept.items():
        if attr not in rebound or not line < rebound[attr] < stmt.lineno or \
                any(isinstance(target, ast.Attribute) and t.of(target) == attr
                    for target in getattr(stmt, "targets", [])):
            continue
        reads = [n for n in ast.walk(stmt) if isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Load) and
                 t.of(n) == attr]
        if reads:
            why = f"read {local}, the {attr} kept before the update, not the updated {attr}"
            yield tuple(Edit(t.start(n), t.end(n), local, why, FAMILY) for n in reads)
