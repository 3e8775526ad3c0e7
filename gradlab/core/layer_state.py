"""Everything a call may change in a layer, kept so that the layer can be put back exactly.

The check restores a layer's parameters after every step (`CheckContext.restore`), but a layer holds more than its
parameters: gradients it accumulates with `+=` (`self.grads[0][...] += dW`, `self.dW += ...`, zeroed by the user's
optimizer between steps), an optimizer's velocity, a step counter, the weights a backward updates itself with a
learning rate of its own. Diagnosis asks the layer many more questions after the check's one backward (a backward
per output element for its Jacobians, backward at other inputs, on a doubled batch); each must find the layer as the
check's backward found it, or a layer that accumulates answers the second question with the sum of the first two.

`LayerState.of(layer)` records, from the layer object outwards: every array's values, every attribute's binding
and every list's and dict's contents, in the layer's own objects (an adapter and the user's object behind it, its
containers, an optimizer object it holds); `restore()` puts all of them back, in place, so that every reference the
layer or gradlab holds stays valid. A layer living in another process (the grader's sandbox: it has the protocol's
`forward_perturbed` hook) is recorded by its parameters and, when it has one, its own `snapshot_state()` hook.
Non-goals: the global random state (stochastic layers reset theirs at every forward: `RandomStateKeeper`), class
attributes, and objects of Python's or numpy's own (files, sockets, random generators keep their identity, never
their insides).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["MAX_BYTES", "MAX_OBJECTS", "LayerState"]

#: a layer holding more than this (a reference to a whole data set, a model around it) is recorded as far as
#: the budget goes: its parameters always, then what is nearest to the layer object first
MAX_OBJECTS = 2000
MAX_BYTES = 64 * 2**20

# objects whose insides are not the layer's state: code, and the standard library's and numpy's own objects
_OPAQUE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
           types.CodeType, types.FrameType, types.GeneratorType, property, staticmethod, classmethod)
_FOREIGN = frozenset({"numpy", "builtins", "hypothesis", "_pytest", "pytest"}) | frozenset(sys.stdlib_module_names)
# gradlab's own descriptions a layer holds (its kind, with dozens of fields) no call changes; the grader's sandbox
# objects are its process's, not the layer's
_GRADLAB_FIXED = ("gradlab.core.kind", "gradlab.kinds", "gradlab.core.results", "gradlab.grading")
_SKIPPED = (str, bytes, int, float, complex, bool, type(None), *_OPAQUE)
_SKIPPED_TYPES = frozenset(_SKIPPED)  # the exact types first: most of what a layer holds is one of them


@dataclass
class LayerState:
    """What `of` recorded; `restore()` puts it back (see the module docstring)."""

    #: (array, its values); the parameters last
    arrays: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    #: (object, its __dict__'s bindings), (list, its items), (dict, its items), (set, its members)
    objects: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)
    lists: list[tuple[list[Any], list[Any]]] = field(default_factory=list)
    dicts: list[tuple[dict[Any, Any], dict[Any, Any]]] = field(default_factory=list)
    sets: list[tuple[set[Any], set[Any]]] = field(default_factory=list)
    #: the layer's own restore, from its `snapshot_state()` hook (a layer in another process)
    own: Callable[[], None] | None = None
    #: whether everything reachable was recorded (False: the budget ran out, or a remote layer has no hook)
    complete: bool = True

    @classmethod
    def of(cls, layer: Any, *, params: Mapping[str, np.ndarray] | None = None) -> LayerState:
        """The state of `layer` now; `params` (the check's saved values, by parameter name) replace the recorded
        values of the layer's parameters, so that `restore()` also undoes a forward that changed them."""
        state = cls()
        live = getattr(layer, "params", None)
        live = live if isinstance(live, dict) else {}
        kept = []
        for name, p in live.items():
            if isinstance(p, np.ndarray):
                given = None if params is None else params.get(name)
                kept.append((p, np.array(given if given is not None else p, copy=True)))
        if callable(getattr(layer, "forward_perturbed", None)):  # its state lives in another process
            hook = getattr(layer, "snapshot_state", None)
            state.own = hook() if callable(hook) else None
            state.complete = state.own is not None
        else:
            _Recorder(state, {id(p) for p, _ in kept}, sum(v.nbytes for _, v in kept)).walk(layer)
        # the parameters last: where a view of one (the user's attribute) was recorded too, their values win
        state.arrays.extend(kept)
        return state

    def restore(self) -> None:
        """Every binding, container and array back as recorded: bindings first (an attribute the call rebound to a
        new array points at the recorded array again), then the arrays' values, in place."""
        for obj, bound in self.objects:
            now = vars(obj)
            for k in [k for k in now if k not in bound]:
                del now[k]
            for k, v in bound.items():
                if now.get(k, _MISSING) is not v:
                    now[k] = v
        for items, saved in self.lists:
            if len(items) != len(saved) or any(a is not b for a, b in zip(items, saved)):
                items[:] = saved
        for mapping, kept in self.dicts:
            if mapping.keys() != kept.keys() or any(mapping[k] is not v for k, v in kept.items()):
                mapping.clear()
                mapping.update(kept)
        for members, had in self.sets:
            if members != had:
                members.clear()
                members.update(had)
        for arr, values in self.arrays:
            if arr.shape == values.shape and arr.flags.writeable:
                np.copyto(arr, values, casting="unsafe")
        if self.own is not None:
            self.own()


_MISSING = object()


class _Recorder:
    """Breadth-first from the layer: nearest objects first, each once, within the budget."""

    def __init__(self, state: LayerState, seen: set[int], used: int):
        self.state, self.seen = state, set(seen)
        self.count, self.bytes = 0, used

    def walk(self, root: Any) -> None:
        queue = [root]
        while queue:
            nxt: list[Any] = []
            for obj in queue:
                if type(obj) in _SKIPPED_TYPES or id(obj) in self.seen or isinstance(obj, _SKIPPED):
                    continue
                if self.count >= MAX_OBJECTS:
                    self.state.complete = False
                    return
                self.seen.add(id(obj))
                self.count += 1
                try:
                    nxt.extend(self._record(obj))
                except Exception:  # noqa: BLE001 - an object of the user's that will not be read: not recorded
                    self.state.complete = False
            queue = nxt

    def _record(self, obj: Any) -> list[Any]:
        """Records `obj`; returns what it holds, to record next."""
        if isinstance(obj, np.ndarray):
            if obj.dtype.hasobject or not obj.flags.writeable:
                return []
            if self.bytes + obj.nbytes > MAX_BYTES:
                self.state.complete = False
                return []
            self.bytes += obj.nbytes
            self.state.arrays.append((obj, obj.copy()))
            return []
        if isinstance(obj, list):
            self.state.lists.append((obj, list(obj)))
            return list(obj)
        if isinstance(obj, set):
            self.state.sets.append((obj, set(obj)))
            return []
        if isinstance(obj, tuple):
            return list(obj)
        if isinstance(obj, dict):
            self.state.dicts.append((obj, dict(obj)))
            return list(obj.values())
        if isinstance(obj, _OPAQUE) or not _own(obj):
            return []
        bound = vars(obj)
        self.state.objects.append((obj, dict(bound)))
        return list(bound.values())


def _own(obj: Any) -> bool:
    """Whether `obj` is an object of the layer's (a user's class, an adapter, an optimizer object) whose
    attributes are state: it has a __dict__ and its class is not Python's, numpy's or a test runner's."""
    try:
        vars(obj)
    except TypeError:
        return False
    module = getattr(type(obj), "__module__", "") or ""
    return module.split(".")[0] not in _FOREIGN and not module.startswith(_GRADLAB_FIXED)
