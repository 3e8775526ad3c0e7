"""The model zoo: correct whole models and deliberately buggy ones, registered as the layer zoo's layers are.

`register_model(bug=..., wrong=...)` marks a model class of the reference zoo (`reference/models*.py`,
`reference/zoo_models*.py`) with the bug code its check must find and the parameters whose gradients
are wrong because of it (in any order; the checker puts them in backprop order), plus the options the
bug needs to show (a dropout or batch-norm variant). As `gradlab.conventions.registry` does for layers,
the mark sits on the class itself (`__gradlab_model__`) and fills no global table: `load_model_zoo()`
reads the marks off the zoo's modules. `check_model_zoo()` checks each with `gradlab.models.check`
and returns the reports with the intent attached (`ModelReport.intended_bug`, `.intended_wrong`).
A buggy model is *caught* when its verdict is fail, *localised* when exactly its intended parameters
are wrong, *named* when its report carries the intended code.
Non-goal: words and tables (that is `gradlab.reporting.report`).
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from gradlab.core.bugs import BUG_CODES
from gradlab.models.report import ModelReport

__all__ = ["ModelEntry", "check_model_zoo", "load_model_zoo", "models_in", "register_model"]

#: the attribute a registered model class carries
MARK = "__gradlab_model__"
#: the zoo's modules: the correct models and the buggy ones
MODULE_PREFIXES = ("models", "zoo_models")
_ORDER = itertools.count()

T = TypeVar("T")


@dataclass(frozen=True)
class ModelEntry:
    """One model class of the zoo and what its check must say."""

    name: str
    target: type
    bug: str | None = None
    #: the parameters whose gradients the bug makes wrong (empty for a correct model)
    wrong: frozenset[str] = frozenset()
    options: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    module: str = ""
    order: int = field(default=0, compare=False, repr=False)


def register_model(*, bug: str | None = None, wrong: Iterable[str] = (), name: str | None = None, note: str = "",
                   **options: Any) -> Callable[[T], T]:
    """Mark a model class as a zoo entry; `options` are passed to its constructor besides the sizes (e.g.
    `use_dropout=True` for a bug in the dropout path). The class is returned as it was."""
    wrong = frozenset(wrong)
    if bug is not None and bug not in BUG_CODES:
        raise ValueError(f"unknown bug code {bug!r}; use one of: {', '.join(BUG_CODES)}")
    if (bug is None) == bool(wrong):
        raise ValueError("a buggy model names the parameters its bug makes wrong (wrong=...), a correct one none")

    def decorate(cls: T) -> T:
        if not isinstance(cls, type):
            raise TypeError(f"register_model marks a model class, not {type(cls).__name__}")
        entry = ModelEntry(name or cls.__name__, cls, bug, wrong, dict(options), note, cls.__module__,
                           order=next(_ORDER))
        setattr(cls, MARK, entry)
        return cls

    return decorate


def models_in(module: Any) -> list[ModelEntry]:
    """The entries `module` registers, in registration order (a subclass does not inherit its parent's mark)."""
    found = [vars(obj)[MARK] for obj in vars(module).values()
             if isinstance(obj, type) and isinstance(vars(obj).get(MARK), ModelEntry)
             and vars(obj)[MARK].module == module.__name__]
    return sorted(found, key=lambda e: e.order)


def load_model_zoo() -> list[ModelEntry]:
    """Every model of the zoo, correct ones and buggy ones, module by module (sorted by module name)."""
    import gradlab.reference as pkg

    out: list[ModelEntry] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."), key=lambda i: i.name):
        if info.name.rsplit(".", 1)[-1].startswith(MODULE_PREFIXES):
            out += models_in(importlib.import_module(info.name))
    names = [e.name for e in out]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash is not None:
        raise ValueError(f"the model zoo registers two models named {clash!r}; give one another name")
    return out


def check_model_zoo(*, seed: int = 0, examples: int | None = None,
                    only: Iterable[str] | None = None) -> list[ModelReport]:
    """Every zoo model checked (`only`: those names), each report carrying its entry's intent. Sources are
    given relative to the project (`reference/zoo_models_cs231n.py`) so the tracked report is the same
    wherever it is written."""
    from gradlab.models.check import DEFAULT_CASES, check_model, variant_name

    wanted = None if only is None else {n.casefold() for n in only}
    reports = []
    for e in load_model_zoo():
        if wanted is not None and e.name.casefold() not in wanted:
            continue
        source = f"reference/{e.module.rsplit('.', 1)[-1]}.py"
        report = check_model(e.target, examples=examples or DEFAULT_CASES, seed=seed, source=source,
                             options=e.options or None, name=variant_name(e.target, e.options) if e.options else e.name)
        reports.append(replace(report, intended_bug=e.bug, intended_wrong=tuple(sorted(e.wrong))))
    return reports
