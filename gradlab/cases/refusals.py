"""Crashes that say nothing about a layer's backward, told apart from those that do.

A dependency missing on this machine (the check stops: `CannotRun`), an assertion in forward that
refuses a case's geometry (the case is set aside), and a course template's unwritten code (`pass`
under a TODO: "not implemented yet"). `error_report` is the report on a layer no case could say
anything about.
Non-goal: drawing and running the cases (that is `gradlab.cases.runner`).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import traceback
import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.conventions.adapters import adapt
from gradlab.conventions.calling import assertion_text, cannot_run_here, uses_none
from gradlab.conventions.case_refusals import CaseRefused
from gradlab.conventions.class_construction import STRIDE_NAMES
from gradlab.conventions.library_layers import ConventionMismatch
from gradlab.conventions.registry import Entry
from gradlab.conventions.unrunnable import another_rank
from gradlab.core.protocol import LayerCrash
from gradlab.core.results import FAIL, WARN, CaseResult, Finding, LayerReport
from gradlab.kinds import Kind, build_case


class CannotRun(Exception):
    """The layer needs something this machine lacks: no case can say anything about its backward."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _cause(exc: BaseException) -> BaseException:
    """The user's own exception behind gradlab's LayerCrash (`raise crash_report(...) from exc`)."""
    seen = {id(exc)}
    while isinstance(exc, LayerCrash):
        inner = exc.__cause__ or exc.__context__
        if inner is None or id(inner) in seen:
            break
        seen.add(id(inner))
        exc = inner
    return exc


def _why_crashed(entry: Entry, kind: Kind, spec: Mapping[str, Any]) -> tuple[str, BaseException] | None:
    """Runs a crashed case's forward and backward again, outside the checker, to see the exception
    itself: (the stage, "forward" or "backward", and the user's exception), or None if it ran."""
    case = build_case(kind, dict(spec))
    stage = "forward"
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            layer = adapt(entry, kind, case)
            y = layer.forward(case.x.copy(), None if case.t is None else case.t.copy())
            stage = "backward"
            dout = np.array(1.0) if kind.is_loss else np.random.default_rng(0).standard_normal(np.shape(y))
            layer.backward(dout)
    except Exception as exc:
        return stage, _cause(exc)
    return None


def _not_written(stage: str, exc: BaseException) -> str | None:
    """What a course template's unwritten code does, or None: raise NotImplementedError, return None
    (`pass` under a TODO), or use a result still None (`out = None`, then `out.astype(...)`)."""
    if isinstance(exc, NotImplementedError):
        return f"{stage} raises NotImplementedError"
    # a whole backward returning None where its template returns a tuple is a forgotten return: crashed
    if isinstance(exc, LayerCrash) and "returned None" in str(exc) and "return statement" not in str(exc):
        return f"{stage} returns None"
    if uses_none(exc):
        return f"{stage} uses a result that is still None ({type(exc).__name__}: {exc})"
    return None


def _backward_of(entry: Entry) -> Any:
    """The user's backward: a class's method, or the second of a function-style pair."""
    target = entry.target
    if isinstance(target, type):
        return getattr(target, "backward", None)
    if isinstance(target, tuple) and len(target) == 2:
        return target[1]
    return None


def _takes_no_stride(entry: Entry, spec: dict[str, Any]) -> bool:
    """Whether a pooling class that cannot be told a stride (`AvgPool2D(pool_size)`, reshaping x into whole
    windows) was given a case of overlapping or spaced windows: it pools with a stride of its own, so a forward that
    raises on such a case refuses it, as a layer asserting its geometry does. A case of whole square windows side by
    side is one any pooling takes: a crash there stays a crash."""
    if not isinstance(entry.target, type) or "pool_h" not in spec or \
            spec.get("stride") in (None, spec["pool_h"]) and spec.get("pool_w", spec["pool_h"]) == spec["pool_h"]:
        return False  # a case of whole square windows side by side is one any pooling takes
    try:
        params = list(inspect.signature(entry.target).parameters.values())
    except (TypeError, ValueError):
        return False
    return not any(p.name.lower() in STRIDE_NAMES or p.kind is p.VAR_KEYWORD for p in params)


def _empty_body(fn: Any) -> bool:
    """Whether `fn`'s body does nothing: `pass`, `...`, a docstring, a bare `return` (the second volume's first
    chapter sketches layers with `def backward(self): pass`, forward only, backward to come)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return False
    func = tree.body[0] if tree.body else None
    if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return all(isinstance(st, ast.Pass) or isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant)
               or isinstance(st, ast.Return) and (st.value is None or isinstance(st.value, ast.Constant)
                                                  and st.value.value is None)
               for st in func.body)


def _raised_on_purpose(exc: BaseException) -> bool:
    """Whether the layer's own `raise` statement raised `exc` under an `if` that tests the input's shape (`if
    x.shape[1:] != self.D_in: raise ValueError(...)`, a library layer checking what it was built for): like an
    assert, a refusal of the case's geometry, not a crash. A raise under no such test is written code's crash."""
    tb = exc.__traceback__
    if not isinstance(exc, (ValueError, TypeError)) or tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    code, line = tb.tb_frame.f_code, tb.tb_lineno
    try:
        lines, first = inspect.getsourcelines(code)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and any(isinstance(st, ast.Raise) and st.lineno + first - 1 == line
                                            for st in node.body):
            test = ast.unparse(node.test)
            return any(word in test for word in (".shape", ".ndim", "len(", ".size"))
    return False


def _raise_text(exc: BaseException) -> str:
    """`raises ValueError (`raise ValueError('Input shape is %s' % ...)`)`: the statement, the same on every case."""
    line = (traceback.extract_tb(exc.__traceback__)[-1].line or "").strip()
    return f"raises {type(exc).__name__} (`{line}`)"


def _only_crashed(result: CaseResult) -> bool:
    return result.failed and result.bug_codes == ["crashed"] and not result.gradients


def _no_gradient_given(result: CaseResult) -> bool:
    """Backward ran but gave None for each of its several gradients (a template's `dx, dw, db = None, None,
    None` returned unchanged), and nothing else failed: a backward not written yet, not a wrong one. A lone
    dx of None is a missing return statement (`crashed`, DESIGN.md), not a template."""
    return (result.failed and len(result.gradients) > 1 and all(g.analytic_shape is None for g in result.gradients)
            and not any(f.severity == FAIL for f in result.findings))


class Refusals:
    """Crashes that say nothing about the backward: a dependency missing here (the check stops), or
    an assertion in forward that refuses the case's geometry (the case is set aside, not failed)."""

    def __init__(self, entry: Entry, kind: Kind):
        self.entry, self.kind = entry, kind
        self.rejected = 0
        self.assertions: dict[str, int] = {}
        self.cannot_run: str | None = None
        #: the first case refused for its number of axes (`another_rank`), and how many were
        self.rank_refused: str | None = None
        self.rank_refusals = 0
        #: what a template's unwritten code did ("forward returns None"), and on how many cases
        self.unwritten: str | None = None
        self.unwritten_cases = 0

    def set_aside(self, result: CaseResult) -> bool:
        """True when `result` is a case the layer refused by design; raises CannotRun for a missing dependency."""
        if _no_gradient_given(result):
            self.unwritten = "backward returns None for every gradient"
            self.unwritten_cases += 1
            return True
        if not _only_crashed(result):
            return False
        why = _why_crashed(self.entry, self.kind, result.spec)
        if why is None:
            return False
        stage, exc = why
        if stage == "backward" and _empty_body(_backward_of(self.entry)):
            # called with dout, a stub that takes none raises TypeError; one that takes it returns None: unwritten
            self.unwritten, self.unwritten_cases = "backward is empty (its body is pass)", self.unwritten_cases + 1
            return True
        if isinstance(exc, CaseRefused):  # a case the layer cannot be handed as it is built (square filters only)
            self.assertions[exc.reason] = self.assertions.get(exc.reason, 0) + 1
            self.rejected += 1
            return True
        if isinstance(exc, ConventionMismatch):  # a layout gradlab does not adapt: not checked, not failed
            self.cannot_run = str(exc)
            raise CannotRun(self.cannot_run)
        cannot = cannot_run_here(exc)
        if cannot is not None and another_rank(exc) is not None:
            # a loss written for 2-D arrays (`N, C = A.shape`) among cases of several ranks: the others are set aside;
            # a layer that takes no case's rank (one image, (H, W, C)) could not be run here, as before
            self.rank_refused = self.rank_refused or f"{cannot}; {stage} raised {type(exc).__name__}: {exc}"
            self.rank_refusals += 1
            return self._refused(f"unpacks a shape of another number of axes ({exc})")
        if cannot is not None:
            self.cannot_run = f"{cannot}; {stage} raised {type(exc).__name__}: {exc}"
            raise CannotRun(self.cannot_run)
        todo = _not_written(stage, exc)
        if todo is not None:
            self.unwritten, self.unwritten_cases = todo, self.unwritten_cases + 1
            return True
        if stage == "forward" and _takes_no_stride(self.entry, result.spec):
            return self._refused("takes no stride, so it pools with one of its own: a case of another geometry was "
                                 "not one it can be given")
        if stage == "forward" and (isinstance(exc, AssertionError) or _raised_on_purpose(exc)):
            text = assertion_text(exc) if isinstance(exc, AssertionError) else _raise_text(exc)
            self.assertions[text] = self.assertions.get(text, 0) + 1
            self.rejected += 1
            return True
        return False

    def _refused(self, reason: str) -> bool:
        self.assertions[reason] = self.assertions.get(reason, 0) + 1
        self.rejected += 1
        return True

    def reason(self) -> str:
        return " or ".join(sorted(self.assertions, key=lambda t: -self.assertions[t]))

    def conclude(self, checked: int, seed: int, warned: dict[str, Finding]) -> LayerReport | None:
        """After all cases: the report of a layer that could not be run (or raises CannotRun), else None,
        with a note in `warned` when some cases were set aside."""
        if self.cannot_run:
            raise CannotRun(self.cannot_run)
        if checked == 0 and self.rank_refused and self.rank_refusals == self.rejected:
            raise CannotRun(self.rank_refused)
        if self.unwritten is not None:
            if checked == 0:  # a course's template: say so, it is not a wrong backward (and earns nothing)
                reason = f"not implemented yet: {self.unwritten}"
                return replace(error_report(self.entry, reason, seed, 0), not_run=reason)
            return error_report(self.entry, f"{self.unwritten} on {self.unwritten_cases} of "
                                             f"{self.unwritten_cases + checked} cases; the others ran", seed, checked)
        if not self.rejected:
            return None
        if checked == 0:  # it refused every case: nothing about its backward is known
            reason = f"{REJECTED_EVERY_CASE} ({self.rejected}): it {self.reason()}"
            return replace(error_report(self.entry, reason, seed, 0), not_run=reason)
        note = (f"{self.entry.name} rejected {self.rejected} of {self.rejected + checked} cases (it "
                f"{self.reason()}); it was checked on the {checked} it accepted")
        warned.setdefault(note, Finding("crashed", WARN, note))
        return None


#: how a report that ran no case because the layer refused them all begins (`LayerReport.not_run`)
REJECTED_EVERY_CASE = "rejected every case it was given"


def error_report(entry: Entry, message: str, seed: int, count: int) -> LayerReport:
    return LayerReport(name=entry.name, kind=entry.kind, convention=entry.convention, verdict=FAIL,
                       bug_codes=["crashed"], examples=count, seed=seed, worst={}, error=message,
                       intended_bug=entry.bug, source=entry.source or entry.module)
