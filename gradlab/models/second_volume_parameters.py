"""A second-volume model's `params` list as the arrays it holds, and its `grads` list read against its layers'.

One array may be several entries of `params` (CBOW's context layers share `W_in`; BetterRnnlm's output layer takes
`embed_W.T`): the gradient of the loss with respect to that array is the sum of its entries' gradients, as the book's
own `remove_duplicate` forms it before the update (`shared_parameters`). Each array is said as the layer holding it
says it (`owners`), and a layer whose backward replaced its gradient array is found (`rebound`).
Non-goal: making the arrays float64 (`gradlab.models.second_volume_float64`) or judging the gradients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlab.models.errors import ModelError
from gradlab.models.second_volume import held_objects
from gradlab.models.second_volume_float64 import root_of, view_of

__all__ = ["SharedParameter", "owners", "rebound", "shared_parameters"]


@dataclass(frozen=True)
class SharedParameter:
    """One array of the model and the entries of its `params` list that are it or a view of it."""

    #: the report's name of the array: its first entry, `params[0]`
    name: str
    #: the array itself (contiguous, perturbed in place by the check)
    array: np.ndarray
    #: the indices of `params` that are this array or a view of it, and each one's map onto the array's elements
    entries: tuple[tuple[int, np.ndarray | None], ...]

    @property
    def grad_name(self) -> str:
        """How the gradient is said: `grads[0]`, or the sum the book's remove_duplicate forms, `grads[0] + grads[6]`."""
        return " + ".join(f"grads[{i}]" for i, _ in self.entries)

    def gradient(self, grads: list[Any]) -> Any:
        """The gradient of the loss with respect to the array: the sum of its entries' gradients, each carried back
        onto the array's elements (a transposed entry's gradient transposed); what one entry gave, if one only."""
        if len(self.entries) == 1 and self.entries[0][1] is None:
            return grads[self.entries[0][0]] if self.entries[0][0] < len(grads) else None
        total = np.zeros(self.array.size)
        for i, where in self.entries:
            g = grads[i] if i < len(grads) else None
            if g is None:
                return None
            g = np.asarray(g, dtype=np.float64)
            if where is None:
                if g.size != self.array.size:
                    return g  # a gradient of another shape: the check says so
                total += g.reshape(-1)
            else:
                if g.shape != where.shape:
                    return g
                np.add.at(total, where.reshape(-1), g.reshape(-1))
        return total.reshape(self.array.shape)


def shared_parameters(params: list[Any]) -> list[SharedParameter]:
    """The model's `params` list as arrays: entries that are one array (the same object, or views of one array)
    are one parameter, in the order of their first entry."""
    groups: dict[int, list[int]] = {}
    roots: dict[int, np.ndarray] = {}
    for i, p in enumerate(params):
        if not (isinstance(p, np.ndarray) and np.issubdtype(p.dtype, np.floating) and p.size):
            continue
        root = root_of(p)
        if not root.flags.c_contiguous:
            raise ModelError(f"params[{i}] is not an array in C order after the model is built (a view of one whose "
                             "elements gradlab cannot perturb in place): keep each parameter a plain array")
        groups.setdefault(id(root), []).append(i)
        roots[id(root)] = root
    out = []
    for key, members in groups.items():
        root = roots[key]
        if len(members) == 1 and params[members[0]] is root:
            out.append(SharedParameter(f"params[{members[0]}]", root, ((members[0], None),)))
            continue
        index = np.arange(root.size).reshape(root.shape)
        entries: list[tuple[int, np.ndarray | None]] = []
        for i in members:
            p = params[i]
            if p is root:
                entries.append((i, None))
                continue
            offset = (p.__array_interface__["data"][0] - root.__array_interface__["data"][0]) // root.itemsize
            strides = tuple(s // root.itemsize * index.itemsize for s in p.strides)
            entries.append((i, np.array(view_of(index, offset, p.shape, strides))))
        out.append(SharedParameter(f"params[{members[0]}]", root, tuple(entries)))
    return out


def owners(model: Any) -> dict[int, str]:
    """Each parameter array of the model (by id) as the layer holding it says it, `the TimeRNN's params[1]`: the
    object with the shortest `params` list that holds it (a layer, not the encoder gathering its layers')."""
    found: dict[int, tuple[int, str]] = {}
    for obj in held_objects(model)[1:]:
        params = getattr(obj, "params", None)
        if not isinstance(params, list):
            continue
        for i, p in enumerate(params):
            if isinstance(p, np.ndarray) and (id(p) not in found or len(params) < found[id(p)][0]):
                found[id(p)] = (len(params), f"the {type(obj).__name__}'s params[{i}]")
    return {k: said for k, (_, said) in found.items()}


def rebound(model: Any) -> dict[int, str]:
    """The entries of the model's `grads` list that are no longer the array their layer holds, by index, each said
    as the layer's entry (`the Affine's grads[1]`): a backward that assigns `self.grads[1] = db` replaces its list's
    array, where `self.grads[1][...] = db` writes into it, and the model's list, gathered when it was built, keeps
    the old one (never updated: a parameter that never trains)."""
    params, grads = getattr(model, "params", None), getattr(model, "grads", None)
    if not (isinstance(params, list) and isinstance(grads, list) and len(params) == len(grads)):
        return {}
    differ: dict[int, str] = {}
    agree: set[int] = set()  # a layer still holds the model's array (TimeLSTM does; the LSTM of each step has its own)
    for obj in held_objects(model)[1:]:
        own_params, own_grads = getattr(obj, "params", None), getattr(obj, "grads", None)
        if not (isinstance(own_params, list) and isinstance(own_grads, list) and len(own_params) == len(own_grads)):
            continue
        for j, p in enumerate(own_params):
            for i, q in enumerate(params):
                if q is not p:
                    continue
                if grads[i] is own_grads[j]:
                    agree.add(i)
                else:
                    differ.setdefault(i, f"the {type(obj).__name__}'s grads[{j}]")
    return {i: said for i, said in differ.items() if i not in agree}
