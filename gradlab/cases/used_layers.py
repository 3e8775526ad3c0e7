"""A layer that fails because a layer it uses fails (of its file, or of another file checked with it, such as
CS231n's `layer_utils.py` using `layers.py`): said so, with that layer's code first.

The second volume's layers are built of the first's (`TimeAffine` of `Affine`'s arithmetic, `AttentionWeight` of a
`Softmax`, `TimeRNN` of `RNN` cells), and a learner's file often defines a helper layer and uses it in another. When
the helper's backward is wrong, every layer using it fails too, and each would be read on its own numbers: a
softmax summing over the batch inside an attention layer looks, from outside, like a term dropped from the
attention's own backward. Where a failing layer's code calls (or builds) another failing layer checked with it (the
very object, by the global name its code looks up), its report leads with that layer's code and a finding that
says which layer to fix first.
Non-goal: the grader, which checks each layer in its own child process; the registry, whose modules hold variants
side by side, each judged alone.
"""

from __future__ import annotations

import dis
import inspect
from collections.abc import Sequence
from dataclasses import replace
from types import CodeType

from gradlab.conventions.registry import Entry
from gradlab.core.results import FAIL, Finding, LayerReport

__all__ = ["blame_used_layers"]


def blame_used_layers(entries: Sequence[Entry], reports: Sequence[LayerReport]) -> list[LayerReport]:
    """`reports`, each of a failing layer that uses a failing layer of its file led by that layer's code."""
    failing = [(e, r) for e, r in zip(entries, reports) if _blamable(r)]
    # what a layer that passes is made of too (a forward two entries share) is not where the failure is
    sound = {_identity(t) for e, r in zip(entries, reports) if r.verdict != FAIL for t in _targets(e)}
    out = []
    for entry, report in zip(entries, reports):
        used = next(((e, r) for e, r in failing if e is not entry and r.bug_codes[0] != "crashed" and
                     _calls(entry, e, sound)), None) if _blamable(report) else None
        out.append(report if used is None else _led_by(report, *used))
    return out


def _blamable(report: LayerReport) -> bool:
    return report.verdict == FAIL and bool(report.bug_codes) and report.error is None and report.failing is not None


def _targets(entry: Entry) -> tuple:
    return entry.target if isinstance(entry.target, tuple) else (entry.target,)


def _identity(obj: object) -> object:
    """What makes two objects the same code: a file imported twice (as the file checked, and by its package's
    relative import in another) gives two objects of one function, at one line of one file."""
    functions = [obj] if inspect.isfunction(obj) else [f for f in vars(obj).values() if inspect.isfunction(f)] \
        if isinstance(obj, type) else []
    if not functions:
        return id(obj)
    code = functions[0].__code__
    return getattr(obj, "__qualname__", ""), code.co_filename, code.co_firstlineno


def _calls(user: Entry, used: Entry, sound: set[object]) -> bool:
    """Whether `user`'s code reaches `used`'s by a global name (`Softmax()`, `affine_backward(...)`): the object the
    name is bound to in the user's module, not a namesake, and not one a passing layer is made of too."""
    # of a (forward, backward) pair, its backward: calling a sound forward of a file whose backward is wrong is not
    # reaching the slip
    wanted = {_identity(t) for t in _targets(used)[-1:]} - sound
    targets = _targets(user)
    if wanted & {_identity(t) for t in targets}:
        return False
    functions = [f for t in targets for f in (vars(t).values() if isinstance(t, type) else (t,))
                 if inspect.isfunction(f)]
    return any(_identity(f.__globals__.get(name)) in wanted for f in functions for name in _global_names(f.__code__)
               if name in f.__globals__)


def _global_names(code: CodeType) -> set[str]:
    """The global names a function's code (and the code nested in it: comprehensions, lambdas) looks up; not its
    attributes' names (`ok.temporal_softmax_loss` is another module's)."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, CodeType):
            names |= _global_names(const)
    return names


def _led_by(report: LayerReport, used: Entry, its: LayerReport) -> LayerReport:
    code = its.bug_codes[0]
    said = (f"{report.name} uses {used.name}, which fails {code}: fix {used.name} first (its report "
            f"says how), then check {report.name} again; what follows is read on {report.name}'s own numbers")
    if report.failing is None:  # not after _blamable
        return report
    failing = replace(report.failing, findings=(Finding(code, FAIL, said), *report.failing.findings))
    return replace(report, failing=failing, bug_codes=list(dict.fromkeys([code, *report.bug_codes])))
