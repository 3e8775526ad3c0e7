"""The registry of layer implementations: a dict filled by a small decorator.

Reference layers (correct ones and deliberately buggy variants) are written exactly as a student
would write them; the decorator only records them, it never wraps or changes the class or function.
Non-goal: discovering layers in arbitrary files by their names; that is `gradlab.conventions.discover`.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from gradlab.core.bugs import BUG_CODES

CONVENTIONS = ("class", "function", "native")


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

    @property
    def is_buggy(self) -> bool:
        return self.bug is not None


REGISTRY: dict[str, Entry] = {}

T = TypeVar("T")


def _validate(kind: str, bug: str | None) -> None:
    from gradlab.kinds import KINDS

    if kind not in KINDS:
        raise ValueError(f"unknown layer kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    if bug is not None and bug not in BUG_CODES:
        raise ValueError(f"unknown bug code {bug!r}; use one of: {', '.join(BUG_CODES)}")


def _identity(entry: Entry) -> tuple[str, str]:
    """Where the entry's code lives: a module imported twice (pytester restores sys.modules)
    re-registers the same layers, which must not count as a name clash."""
    target = entry.target[0] if isinstance(entry.target, tuple) else entry.target
    return entry.module, getattr(target, "__qualname__", repr(target))


def _add(entry: Entry) -> None:
    old = REGISTRY.get(entry.name)
    if old is not None and _identity(old) != _identity(entry):
        raise ValueError(f"registry name {entry.name!r} is taken by {old.module}; choose another name")
    REGISTRY[entry.name] = entry


def register(
    kind: str, *, bug: str | None = None, name: str | None = None, note: str = "", **options: Any
) -> Callable[[T], T]:
    """Record a class-style layer (or a function-style loss function) under `name`.

    `kind` says what the layer computes (see `gradlab.kinds`), `bug` the diagnosis code the
    layer must receive (None for a correct layer). The decorated object is returned unchanged.
    """
    _validate(kind, bug)

    def decorate(obj: T) -> T:
        convention = "class" if isinstance(obj, type) else "function"
        _add(Entry(name or obj.__name__, kind, convention, obj, bug, note, obj.__module__, options))
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
) -> None:
    """Record a function-style `<stem>_forward` / `<stem>_backward` pair."""
    _validate(kind, bug)
    stem = name or forward.__name__.replace("_forward", "", 1)
    _add(Entry(stem, kind, "function", (forward, backward), bug, note, forward.__module__, options))


def load_reference() -> dict[str, Entry]:
    """Import every module of the reference zoo (which registers its layers) and return the registry."""
    import gradlab.reference as pkg

    for info in pkgutil.iter_modules(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(info.name)
    return REGISTRY


def get(name: str) -> Entry:
    """The registry entry called `name`; a miss lists what is registered."""
    load_reference()
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY)) or "(nothing)"
        raise KeyError(f"no registry entry named {name!r}; registered: {known}") from None
