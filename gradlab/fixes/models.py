"""The verified fix of a whole model (a Nielsen-style `Network`, a CS231n or textbook model): a layer's search, on
the model's own methods.

A model's slip is one line of its backprop, of a method backprop calls (`cost_derivative`) or of a module function
it calls (`sigmoid_prime`): the same slips the layer families fix (the derivative at the activation instead of z, a
sign, `w` where `w.transpose()` belongs). So the model's class is located as a class-style layer is, its backward
and forward methods are said so (the methods of training and evaluation, which the check never runs, are left out),
and the layer families propose the edits, ranked by the model's diagnosis. Each candidate's class is rebuilt from
the edited text in memory and judged by the model's own check (`ModelJudge`, given by the caller: the models
package judges, this one proposes): screened on the first case, its forward compared with the model's own, then
the whole check on the model's seed and the next one. The search stops after `budget` candidates, never after a
time. No verified edit, no suggestion.
Non-goal: checking a model (`gradlab.models`), writing the fix (`gradlab.fixes.patch`).
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from gradlab.conventions.registry import Entry
from gradlab.core.results import FAIL, CaseResult, Finding, FixResult, GradientResult, LayerReport
from gradlab.fixes.candidates import FAMILIES, LAST_RESORT, candidates
from gradlab.fixes.memory import bounded_memory
from gradlab.fixes.rebuild import Edit, apply, changed_lines, rebuild
from gradlab.fixes.search import MAX_LINES, shown_diff
from gradlab.fixes.source import Site, locate

__all__ = ["MODEL_BUDGET", "ModelJudge", "find_model_fix"]

#: candidates tried per failing model, at most (each screened rebuild counts one)
MODEL_BUDGET = 200
#: the families that substitute every name the code uses, one edit per pair of names
_EVERY_NAME = frozenset({"reference", "chain"})
#: how close the edited model's forward outputs must be to the model's own
FORWARD_RTOL, FORWARD_ATOL = 1e-9, 1e-12


class ModelJudge(Protocol):
    """What the search needs of a failing model (`gradlab.models.fix_judge.FixJudge` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def backward_methods(self) -> tuple[str, ...]:
        """The model's backward methods (`backprop`, CS231n's `loss`); the methods they call on `self` are too."""

    @property
    def forward_methods(self) -> tuple[str, ...]:
        """The model's forward methods (`feedforward`)."""

    @property
    def gradients(self) -> tuple[GradientResult, ...]:
        """The check's gradients, named as the model's code writes them (`nabla_w`)."""

    @property
    def findings(self) -> tuple[Finding, ...]: ...

    @property
    def bug_codes(self) -> tuple[str, ...]: ...

    def screen(self, model: type) -> bool: ...

    def passes(self, model: type) -> bool: ...

    def outputs(self, model: type) -> list[np.ndarray | None]: ...


def find_model_fix(model: type, judge: ModelJudge, *, budget: int = MODEL_BUDGET) -> FixResult:
    """The verified fix of the failing `model`: "verified" with the diff, or "none-found" with the count tried."""
    entry = Entry(judge.name, "model", "class", model)
    site = model_site(model, judge)
    if site is None:
        return FixResult("none-found", tried=0)
    report = _as_layer_report(judge)
    before = judge.outputs(model)
    tried = 0
    for cand in ranked(site, report, judge):
        if tried >= budget:
            break
        tried += 1
        if _lines(cand) > MAX_LINES:
            continue
        try:
            with bounded_memory():
                if _verified(site, entry, cand, judge, before):
                    return _fix(site, judge.name, cand, tried)
        except MemoryError:
            continue
    return FixResult("none-found", tried=tried)


def ranked(site: Site, report: LayerReport, judge: ModelJudge) -> list[tuple[Edit, ...]]:
    """The layer families' candidates in the order a model's evidence makes likely. A model's check localises more
    than a layer's: the derivative helper its diagnosis names ("right when sigmoid_prime is made to take the other
    array", "delta has a sigmoid_prime(z) too many") is where the slip is, in its body or in the arguments of its
    calls, so those edits come first; then the statements that write a failing gradient (`nabla_b[-l] = delta * sp`
    when biases[0] alone is wrong); then the rest, the families that substitute every name last. In each, the
    families the bug codes name before the others, a last resort (a minus put on an operand, which can cancel a sign
    written wrong elsewhere) after them."""
    named = _named_spans(site, judge)
    failing = {g.name.lower() for g in judge.gradients if not g.passed}
    localised = any(g.passed for g in judge.gradients)
    writes = {line for sc in site.scopes if sc.role == "backward" for st in ast.walk(sc.node)
              if isinstance(st, (ast.Assign, ast.AugAssign)) and any(
                  f in ast.unparse(t).lower() for t in _targets(st) for f in failing)
              for line in range(st.lineno, (st.end_lineno or st.lineno) + 1)}
    families = [f for code in report.bug_codes for f in FAMILIES.get(code, ())]

    def key(item: tuple[int, tuple[bool, tuple[Edit, ...]]]) -> tuple[int, ...]:
        index, (preferred, cand) = item
        inside = all(any(_within(e, span) for span in named) for e in cand)
        tier = 0 if inside else 1 if all(e.start[0] in writes for e in cand) else 2
        family = cand[0].family
        rank = families.index(family) if family in families else len(families)
        # a family that puts each of the code's names in place of another (`reference`, `chain`) offers dozens of
        # edits per statement: the others first, wherever they are, then those
        own = (not preferred, family in LAST_RESORT, rank, index)
        # the statements writing a failing gradient say where only while some gradient passes (biases[0] alone
        # wrong): where every one fails, every writer is one, and the families named come first wherever they are
        first = tier if localised else 0
        return (0, *own) if tier == 0 else (1, family in _EVERY_NAME, first, not preferred, tier, *own[1:])

    return [cand for _, (_, cand) in sorted(enumerate(candidates(site, report)), key=key)]


def _targets(st: ast.Assign | ast.AugAssign) -> list[ast.expr]:
    return list(st.targets) if isinstance(st, ast.Assign) else [st.target]


def _named_spans(site: Site, judge: ModelJudge) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The spans of code the diagnoses point at: the body of each helper or backward method they name (one the
    forward does not call: `sigmoid_prime`, not `sigmoid`), and the arguments of its calls in backward."""
    said = " ".join([*(g.diagnosis or "" for g in judge.gradients), *(f.message for f in judge.findings)])
    words = set(re.findall(r"[A-Za-z_]\w*", said))
    forward = {n.id if isinstance(n, ast.Name) else n.attr for sc in site.scopes if sc.role == "forward"
               for c in ast.walk(sc.node) if isinstance(c, ast.Call) for n in (c.func,)
               if isinstance(n, (ast.Name, ast.Attribute))}
    names = {sc.node.name for sc in site.scopes if sc.role != "forward"} & words - forward
    spans: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for sc in site.scopes:
        if sc.node.name in names:
            spans += [_span(st) for st in sc.node.body]
        if sc.role != "backward":
            continue
        for c in ast.walk(sc.node):
            if not isinstance(c, ast.Call):
                continue
            called = c.func.id if isinstance(c.func, ast.Name) else \
                c.func.attr if isinstance(c.func, ast.Attribute) else None
            if called in names:
                spans += [_span(a) for a in c.args]
    return spans


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (node.lineno, node.col_offset), (node.end_lineno or node.lineno, node.end_col_offset or 0)  # type: ignore[attr-defined]


def _within(e: Edit, span: tuple[tuple[int, int], tuple[int, int]]) -> bool:
    return span[0] <= e.start and e.end <= span[1]


def _verified(site: Site, entry: Entry, cand: tuple[Edit, ...], judge: ModelJudge,
              before: Sequence[np.ndarray | None]) -> bool:
    """Whether the model rebuilt with `cand` passes the screen, gives the model's own forward, and passes the check."""
    edited = rebuild(site, entry, apply(site.defs_text, cand))
    if edited is None or not isinstance(edited.target, type):
        return False
    cls = edited.target
    try:
        return judge.screen(cls) and _same(judge.outputs(cls), before) and judge.passes(cls) and \
            _bases_still_pass(site, entry, cand, judge)
    except Exception:  # noqa: BLE001 - gradlab's own failure on a strange edit: not a fix, the search goes on
        return False


def _bases_still_pass(site: Site, entry: Entry, cand: tuple[Edit, ...], judge: ModelJudge) -> bool:
    """An edit outside the model's own class (in a base class the file defines, in a module function such as
    sigmoid_prime) is an edit of the models built on that base too: a base that passes as a model (the correct
    TwoLayerNet under TwoLayerNetBiasOverClasses) must pass after it. A base that does not pass, or is no model
    that can be built, constrains nothing."""
    model = entry.target
    top = {n.name: n for n in site.tree.body if isinstance(n, ast.ClassDef)}
    own = top.get(model.__name__)
    edited = {line for e in cand for line in range(e.start[0], e.end[0] + 1)}
    if own is not None and edited <= set(range(own.lineno, (own.end_lineno or own.lineno) + 1)):
        return True
    for base in model.__mro__[1:]:
        if base.__name__ not in top or base.__name__ not in site.defs:
            continue
        if not _passes(judge, base):
            continue
        rebuilt = rebuild(replace(site, target_names=(base.__name__,)), entry, apply(site.defs_text, cand))
        if rebuilt is None or not _passes(judge, rebuilt.target):
            return False
    return True


def _passes(judge: ModelJudge, model: type) -> bool:
    try:
        return judge.passes(model)
    except Exception:  # noqa: BLE001 - a base that cannot be built as a model constrains nothing
        return False


def model_site(model: type, judge: ModelJudge) -> Site | None:
    """The model's class located as a class-style layer's, its methods given their roles: the backward methods and
    the methods they call on `self` are its backward, the forward methods its forward; the others (SGD,
    update_mini_batch, evaluate: the check never runs them) are left out. Module functions it calls stay helpers."""
    site = locate(Entry(judge.name, "model", "class", model))
    if site is None:
        return None
    methods = {s.node.name: s for s in site.scopes if s.in_class}
    backward = set(judge.backward_methods) & set(methods)
    frontier = list(backward)
    while frontier:  # `self.cost_derivative(...)` from backprop is backprop's code too
        called = {n.func.attr for n in ast.walk(methods[frontier.pop()].node)
                  if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and
                  isinstance(n.func.value, ast.Name) and n.func.value.id == "self"}
        new = (called & set(methods)) - backward
        backward |= new
        frontier += list(new)
    if not backward:
        return None
    forward = set(judge.forward_methods) & set(methods) - backward
    scopes = [replace(s, role="backward") for s in site.scopes if s.in_class and s.node.name in backward]
    scopes += [replace(s, role="forward") for s in site.scopes if s.in_class and s.node.name in forward]
    scopes += [s for s in site.scopes if not s.in_class]
    return replace(site, scopes=tuple(scopes))


def _as_layer_report(judge: ModelJudge) -> LayerReport:
    """The model's check said as a failing layer's, which is what the families read (codes, gradients, evidence)."""
    worst = {g.name: g for g in judge.gradients}
    failing = CaseResult(judge.name, "model", "class", {}, judge.gradients, judge.findings)
    return LayerReport(judge.name, "model", "class", FAIL, list(judge.bug_codes), 1, 0, worst, failing=failing)


def _same(after: Sequence[np.ndarray | None], before: Sequence[np.ndarray | None]) -> bool:
    """Whether the edited model's forward outputs are the model's own (a forward that raised in both is the same)."""
    if len(after) != len(before) or all(b is None for b in before):
        return False
    for a, b in zip(after, before):
        if a is None or b is None:
            if a is not b:
                return False
            continue
        if a.shape != b.shape or not np.allclose(a, b, rtol=FORWARD_RTOL, atol=FORWARD_ATOL, equal_nan=True):
            return False
    return True


def _lines(cand: tuple[Edit, ...]) -> int:
    return len({line for e in cand for line in range(e.start[0], e.end[0] + 1)})


def _fix(site: Site, name: str, cand: tuple[Edit, ...], tried: int) -> FixResult:
    """The verified edit as a layer's fix is said: the diff, the lines it changes, what it does."""
    new = apply(site.text, cand)
    shown, diff = shown_diff(str(site.path), site.text, new)
    whys = "; ".join(dict.fromkeys(e.why for e in cand))
    explanation = f"{whys}: with it, every gradient of {name} passes and its forward is unchanged"
    return FixResult("verified", file=shown, diff=diff, lines=tuple(changed_lines(site.text, new)),
                     explanation=explanation, tried=tried, new_text=new,
                     old_digest=hashlib.sha256(site.text.encode("utf-8")).hexdigest(), path=str(site.path))
