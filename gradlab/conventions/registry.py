"""The registry of layer implementations: a small decorator that marks layers, and a loader that reads the marks.

Reference layers (correct ones and deliberately buggy variants) are written exactly as a student
would write them. `register` records its `Entry` on the object itself (one attribute, `__gradlab__`,
a tuple: one forward may serve several registered pairs; the object is unchanged otherwise) and
fills no global table: what a module registers is read off that module's namespace (`entries_in`),
so discovery never depends on what happened to be imported before. `load_reference()` reads every
module of the reference zoo.
Non-goal: discovering layers in arbitrary files by their names; that is `gradlab.conventions.discover`.
"""

from __future__ import annotations

import importlib
import itertools
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TypeVar

from gradlab.core.bugs import BUG_CODES

__all__ = ["Entry", "entries_in", "get", "load_reference", "register", "register_pair"]

#: the attribute a registered object carries
MARK = "__gradlab__"
#: registration order, so a module's entries come out in the order its author registered them
_ORDER = itertools.count()


@dataclass(frozen=True)
class Entry:
    """One layer implementation, in either course convention, ready for an adapter.

    `target` is the class (class style), a `(forward, backward)` pair or a loss function
    (function style), or an object following gradlab's native protocol.
    """

    name: str
    kind: str
    convention: str
    target: Any
    bug: str | None = None
    note: str = ""
    module: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # the file it was found in, for people
    order: int = field(default=0, compare=False, repr=False)

    @property
    def is_buggy(self) -> bool:
        return self.bug is not None


T = TypeVar("T")


def _validate(kind: str, bug: str | None) -> None:
    from gradlab.kinds import KINDS

    if kind not in KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    if bug is not None and bug not in BUG_CODES:
        raise ValueError(f"unknown bug code {bug!r}; use one of: {', '.join(BUG_CODES)}")


def register(
    kind: str, *, bug: str | None = None, name: str | None = None, note: str = "", **options: Any
) -> Callable[[T], T]:
    """Mark a class-style layer (or a function-style loss function) as a registry entry called `name`.

    `kind` says what the layer computes (see `gradlab.kinds`), `bug` the diagnosis code the
    layer must receive (None for a correct layer). The decorated object is returned as it was.
    """
    _validate(kind, bug)

    def decorate(obj: T) -> T:
        convention = "class" if isinstance(obj, type) else "function"
        label = str(name or getattr(obj, "__name__", repr(obj)))
        _mark(obj, Entry(label, kind, convention, obj, bug, note, obj.__module__, options, order=next(_ORDER)))
        return obj

    return decorate


def register_pair(
    forward: Callable[..., Any],
    backward: Callable[..., Any],
    *,
    kind: str,
    bug: str | None = None,
    name: str | None = None,
    note: str = "",
    **options: Any,
) -> Entry:
    """Mark a function-style `<stem>_forward` / `<stem>_backward` pair (the mark sits on the forward)."""
    _validate(kind, bug)
    stem = name or forward.__name__.replace("_forward", "", 1)
    entry = Entry(stem, kind, "function", (forward, backward), bug, note, forward.__module__, options,
                  order=next(_ORDER))
    _mark(forward, entry)
    return entry


def _mark(obj: Any, entry: Entry) -> None:
    # vars(): a subclass of a registered class does not inherit its parent's marks
    setattr(obj, MARK, (*getattr(obj, "__dict__", {}).get(MARK, ()), entry))


def entries_in(module: ModuleType) -> list[Entry]:
    """The entries `module` registers, in registration order (objects it merely imports do not count)."""
    found: list[Entry] = []
    for obj in vars(module).values():
        marks = getattr(obj, "__dict__", {}).get(MARK, ())
        found.extend(e for e in marks if isinstance(e, Entry) and e.module == module.__name__)
    found.sort(key=lambda e: e.order)
    names = [e.name for e in found]
    clash = next((n for n in names if names.count(n) > 1), None)
    if clash is not None:
        raise ValueError(f"{module.__name__} registers two layers named {clash!r}; give one another name")
    return found


def load_reference() -> dict[str, Entry]:
    """Every entry of the reference zoo (correct layers and buggy variants), by name."""
    import gradlab.reference as pkg

    out: dict[str, Entry] = {}
    for info in sorted(pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."), key=lambda i: i.name):
        for entry in entries_in(importlib.import_module(info.name)):
            old = out.get(entry.name)
            if old is not None:
                raise ValueError(f"registry name {entry.name!r} is taken by {old.module}; choose another name")
            out[entry.name] = entry
    return out


def get(name: str) -> Entry:
    """The registry entry called `name`; a miss lists what is registered."""
    registry = load_reference()
    try:
        return registry[name]
    except KeyError:
        known = ", ".join(sorted(registry)) or "(nothing)"
        raise KeyError(f"no registry entry named {name!r}; registered: {known}") from None
