"""Find the layers in a user's file by the names courses give them, without changing a line of it.

Class style: a class named `Affine`, `Relu`, `BatchNormalization`, ... (see `gradlab.kinds`).
Function style: a pair `<stem>_forward[_suffix]` / `<stem>_backward[_suffix]` is one layer named
`<stem>` (`conv_forward_naive` + `conv_backward_naive` is `conv`); a loss function such as
`softmax_loss` keeps its full name. Whatever looks like a layer but has an unknown name is listed
as skipped, with the reason. Files are imported as their code expects (`gradlab.conventions.imports`);
one that cannot be imported raises `LoadError` with one line that says what to fix.
Non-goal: deciding anything about the layers found.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from gradlab.conventions.imports import LoadError, load_module
from gradlab.conventions.registry import Entry, entries_in
from gradlab.kinds import Kind, kind_for_class, kind_for_loss_function, kind_for_stem

__all__ = ["Found", "LoadError", "discover", "entry_for", "find_layers", "layout_options", "load_module"]

_FORWARD = re.compile(r"^(?P<stem>[a-z0-9_]+?)_forward(?P<suffix>_[a-z0-9_]+)?$")


@dataclass
class Found:
    """What one file holds: layers gradlab can check, and names it skipped (with the reason)."""

    path: str
    entries: list[Entry] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def _defined_here(module: ModuleType) -> dict[str, Any]:
    return {n: o for n, o in vars(module).items()
            if not n.startswith("_") and getattr(o, "__module__", None) == module.__name__}


def _looks_like_layer_class(obj: Any) -> bool:
    return isinstance(obj, type) and all(callable(getattr(obj, m, None)) for m in ("forward", "backward"))


def find_layers(module: ModuleType, path: str = "") -> Found:
    """The layers `module` defines, recognised by name (or registered with `gradlab.conventions.registry`)."""
    found = Found(path or getattr(module, "__file__", "") or module.__name__)
    src = found.path
    registered = entries_in(module)
    if registered:
        found.entries.extend(registered)
        return found
    objects = _defined_here(module)
    used: set[str] = set()
    for name, obj in objects.items():
        if isinstance(obj, type):
            kind = kind_for_class(name)
            if kind is not None and _looks_like_layer_class(obj):
                found.entries.append(Entry(name, kind.name, "class", obj, module=module.__name__, source=src))
            elif _looks_like_layer_class(obj):
                found.skipped.append((name, "a class with forward/backward, but not a layer name gradlab knows"))
    for name, obj in objects.items():
        if not inspect.isfunction(obj):
            continue
        loss_kind = kind_for_loss_function(name)
        if loss_kind is not None:
            found.entries.append(Entry(name, loss_kind.name, "function", obj, module=module.__name__, source=src))
            used.add(name)
            continue
        m = _FORWARD.match(name)
        if not m:
            continue
        stem, suffix = m["stem"], m["suffix"] or ""
        backward_name = f"{stem}_backward{suffix}"
        backward = objects.get(backward_name)
        kind = kind_for_stem(stem)
        used.update((name, backward_name))
        if kind is None:
            found.skipped.append((stem, f"{name}: not a layer name gradlab knows"))
        elif not callable(backward):
            found.skipped.append((stem, f"{name} has no matching {backward_name}"))
        else:
            pair = (obj, backward)
            found.entries.append(Entry(stem, kind.name, "function", pair, module=module.__name__, source=src))
    for name, obj in objects.items():
        if inspect.isfunction(obj) and "_backward" in name and name not in used:
            found.skipped.append((name, "a backward function with no matching forward"))
    return found


def discover(paths: list[str | Path]) -> list[Found]:
    """Every layer in the given files and folders (folders are searched recursively for *.py)."""
    results = []
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise FileNotFoundError(f"{raw}: no such file or folder")
        files = sorted(f for f in p.rglob("*.py") if "__pycache__" not in f.parts) if p.is_dir() else [p]
        for f in files:
            try:
                results.append(find_layers(load_module(f), str(f)))
            except LoadError as exc:
                results.append(Found(str(f), error=str(exc)))
    return results


def entry_for(layer: Any, backward: Callable[..., Any] | None = None, *, kind: str | Kind | None = None,
              name: str | None = None, layout: str = "rows", weights: str = "in_out") -> Entry:
    """An entry for one layer given in Python: a class, a forward/backward pair or a loss function.

    The kind is recognised from the name, or given with `kind=` when the name is not a usual one.
    `layout="columns"` (with `weights="in_out"` or `"out_in"`) is for layers written for samples
    as columns (see `gradlab.conventions.layouts`).
    """
    from gradlab.kinds import KINDS

    k: Kind | None = KINDS.get(kind) if isinstance(kind, str) else kind
    if isinstance(kind, str) and k is None:
        raise ValueError(f"unknown kind {kind!r}; known kinds: {', '.join(sorted(KINDS))}")
    if isinstance(layer, type):
        k = k or kind_for_class(layer.__name__)
        target: Any = layer
        convention, default_name = "class", layer.__name__
    elif backward is not None:
        m = _FORWARD.match(getattr(layer, "__name__", ""))
        stem = m["stem"] if m else getattr(layer, "__name__", "layer")
        k = k or kind_for_stem(stem)
        convention, target, default_name = "function", (layer, backward), stem
    elif callable(layer):
        k = k or kind_for_loss_function(getattr(layer, "__name__", ""))
        convention, target, default_name = "function", layer, getattr(layer, "__name__", "loss")
    else:
        raise TypeError("expected a layer class, a (forward, backward) pair or a loss function, "
                        f"got {type(layer).__name__}")
    if k is None:
        raise ValueError(f"gradlab does not know what {default_name!r} computes; pass kind=..., one of: "
                         f"{', '.join(sorted(KINDS))}")
    return Entry(name or default_name, k.name, convention, target, module=getattr(layer, "__module__", ""),
                 options=layout_options(layout, weights))


def layout_options(layout: str = "rows", weights: str = "in_out") -> dict[str, str]:
    """Adapter options for a data layout; a bad value says what to pass."""
    from gradlab.conventions.layouts import LAYOUTS, WEIGHT_LAYOUTS

    if layout not in LAYOUTS:
        raise ValueError(f"layout={layout!r}: use one of {', '.join(LAYOUTS)}")
    if weights not in WEIGHT_LAYOUTS:
        raise ValueError(f"weights={weights!r}: use one of {', '.join(WEIGHT_LAYOUTS)}")
    return {} if layout == "rows" else {"layout": layout, "weights": weights}
