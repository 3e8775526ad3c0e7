"""Where a class-style layer keeps each parameter and its gradient, whatever it calls them.

Courses and learners spell it many ways: attributes `W`/`b` with `dW`/`db` (the textbook),
`weights`/`bias` with `weights_gradient`, private `_W` with `_dW`, a `params`/`grads` dict pair,
or the second volume's `params = [W, b]` / `grads = [dW, db]` lists filled in place. A layer that
builds its own weights may also hold them as (out, in) where gradlab's are (in, out), or a bias as
(1, M). A `Slot` finds the place, hands the layer a *view* of gradlab's array in the layer's own
shape (so perturbing gradlab's array in place reaches the layer) and maps the gradient back.
Non-goal: calling the layer (that is `gradlab.conventions.class_style`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlab.core.protocol import LayerSignatureError

__all__ = ["PARAM_ALIASES", "WRAPPED_GRADIENT", "WRAPPED_VALUE", "Slot", "find_slot", "gradient_names"]

#: names a layer may give each canonical parameter (private `_W` spellings are tried too)
PARAM_ALIASES = {
    "W": ("W", "w", "weight", "weights", "kernel", "kernels", "filters", "Wx"),
    "b": ("b", "bias", "biases", "w0"),
    # a normalisation's scale and shift kept as its weight and bias (`params['W']`, `params['b']` in learners' code)
    # BW and Bb: CMU 11-785's batch norm (self.BW, self.Bb, read back as dLdBW, dLdBb)
    "gamma": ("gamma", "weight", "scale", "g", "scaler", "W", "BW"),
    "beta": ("beta", "bias", "shift", "intercept", "b", "Bb"),
    # PReLU's learned slope (PyTorch's PReLU calls it weight)
    "alpha": ("alpha", "a", "slope", "slopes", "negative_slope", "weight"),
    # a GRU cell's six biases (gradlab.kinds.torch_gru_cell) as CMU 11-785 spelled them in other years, PyTorch's
    # b_ir ... b_hn: bir for brx
    **{f"b{g}{side}": (f"b{g}{side}", f"b{'ih'[side == 'h']}{g}", f"b_{'ih'[side == 'h']}{g}")
       for g in "rzn" for side in "xh"},
}
_Shape = Callable[[np.ndarray], np.ndarray]
#: where a parameter object keeps its array, and its gradient
WRAPPED_VALUE = ("value", "data", "val", "array", "values")
WRAPPED_GRADIENT = ("gradient", "grad", "gradients", "grads", "d", "dvalue", "delta")


@dataclass
class Slot:
    """One parameter's home in the layer: how to read and replace it, how its shape maps to gradlab's."""

    canonical: str
    #: how the user spells it, for messages: "W", "weights", "_W", "params['W']", "params[0]"
    spelling: str
    get: Callable[[], Any]
    put: Callable[[Any], None]
    #: gradlab's array -> the view the layer holds; the layer's gradient -> gradlab's shape
    to_layer: _Shape
    from_layer: _Shape
    #: where the gradient may be found after backward (first hit wins)
    grad_places: Sequence[Callable[[], Any]]
    grad_spelling: str

    def install(self, ours: np.ndarray) -> np.ndarray:
        view = self.to_layer(ours)
        self.put(view)
        return view

    def gradient(self) -> np.ndarray | None:
        for place in self.grad_places:
            value = place()
            if value is not None:
                return np.asarray(value)
        return None


def _names(canonical: str) -> list[str]:
    base = PARAM_ALIASES.get(canonical, (canonical,))
    return [*base, *("_" + n for n in base)]


def _shape_map(have: tuple[int, ...], ours: tuple[int, ...]) -> tuple[_Shape, _Shape] | None:
    """How the layer's array shape relates to gradlab's: the same, transposed, or the same size."""
    if have == ours:
        return (lambda a: a), (lambda g: g)
    if len(have) == 2 and len(ours) == 2 and have == ours[::-1]:
        return (lambda a: a.T), (lambda g: np.asarray(g).T if np.ndim(g) == 2 else g)
    if len(have) == 4 and len(ours) == 4 and have == (ours[1], ours[0], *ours[2:]) and have != ours:
        # a filter bank's in and out axes the other way round: a transposed convolution kept (out, in, k, k), as a
        # convolution over the dilated input keeps it, where PyTorch keeps (in, out, k, k); a view, as .T is
        return (lambda a: a.swapaxes(0, 1)), (lambda g: np.swapaxes(g, 0, 1) if np.ndim(g) == 4 else g)
    # only unit axes added or removed, the others in their order: a permutation reshaped would scramble the values (a
    # channels-last kernel (kh, kw, in, out) is no (F, C, HH, WW) of the same sizes)
    squeezed = [d for d in have if d != 1] == [d for d in ours if d != 1]
    if int(np.prod(have)) == int(np.prod(ours)) and squeezed:
        return (lambda a: a.reshape(have)), (lambda g: np.reshape(g, ours) if np.size(g) == np.prod(ours) else g)
    return None


def _grad_names(key: str, canonical: str) -> list[str]:
    """The names a layer may give the gradient of the parameter it calls `key` (gradlab's `canonical`)."""
    bare = key.lstrip("_")
    # dLdW: CMU 11-785's spelling, and a transformer's self.gradients['dLdW'] / ['dLdGamma'] beside self.weights and
    # self.gamma; dWeights: the nnfs book's dweights written in camel case by a learner; dw beside weight (Georgia
    # Tech's CS 7643 layers: self.weight, self.bias, then self.dw, self.db); gradient_weights (the FAU
    # deep-learning exercises' property); delta_weights beside weights (a learner's from-scratch FCLayer)
    names = [f"d{key}", f"d_{bare}", f"_d{bare}", f"grad_{bare}", f"{bare}_grad", f"{bare}_gradient",
             f"d{bare}", f"grad{bare}", f"d{canonical}", f"dLd{bare}", f"d{bare[:1].upper()}{bare[1:]}",
             f"d{canonical.lower()}", f"gradient_{bare}", f"dLd{canonical}",
             f"dLd{canonical[:1].upper()}{canonical[1:]}", f"delta_{bare}"]
    return list(dict.fromkeys(names))


def gradient_names(spelling: str) -> list[str]:
    """The names a layer may give the gradient of the parameter it spells `spelling` (an attribute's name)."""
    return _grad_names(spelling, spelling)


def _grad_attrs(obj: Any, key: str, canonical: str) -> list[Callable[[], Any]]:
    """Where the gradient of `key` may be read. A layer that already keeps one of the spellings when its slots are
    found (`self.dW = None` in `__init__`) is read by that spelling alone: a backward writing `self.dw = ...` beside
    it has made a typo, and its `dW` stays unwritten (zero-gradient), not a gradient gradlab accepts."""
    names = _grad_names(key, canonical)
    own = [n for n in names if n in getattr(obj, "__dict__", {})]
    return [_attr_get(obj, n) for n in (own or names)]


def _store_get(store: Any, key: Any) -> Callable[[], Any]:
    def get() -> Any:
        try:
            return store[key]
        except (KeyError, IndexError, TypeError):
            return None
    return get


def find_slot(obj: Any, canonical: str, ours: np.ndarray, *, index: int, count: int) -> Slot:
    """The slot of parameter `canonical` in `obj` (the `index`-th of `count` parameters).

    Tried in order: an attribute, a `params` dict entry, the `index`-th item of a `params` list; the
    array found must be gradlab's shape, its transpose, or a reshape of it (a (1, M) bias).
    """
    for slot in _candidates(obj, canonical, index=index, count=count):
        have = slot.get()
        if have is ours:
            return slot
        # a single learned number a layer builds as a Python float (PReLU's `self.alpha = 0.25`) is a 0-d parameter
        number = isinstance(have, (int, float)) and not isinstance(have, bool) and ours.ndim == 0
        if isinstance(have, np.ndarray) or number:
            maps = _shape_map(tuple(np.shape(have)), tuple(ours.shape))
            if maps is not None:
                slot.to_layer, slot.from_layer = maps
                return slot
    sole = _sole_array(obj, canonical, ours)
    if sole is not None:
        return sole
    names = ", ".join(f"self.{n}" for n in _names(canonical)[:4])
    raise LayerSignatureError(
        f"{type(obj).__name__} keeps no parameter {canonical!r} of shape {ours.shape} (or its transpose): store it "
        f"as {names}, in a self.params dict, or as self.params[{index}] of a list")


def _sole_array(obj: Any, canonical: str, ours: np.ndarray) -> Slot | None:
    """The slot of a weight matrix kept under a name gradlab does not know for it (a transformer's Embedding keeps its
    table in `self.embedding_matrix`), when it is the layer's only attribute holding an array of gradlab's shape or its
    transpose, not counting the gradients kept beside it (`grad_embedding_matrix`); None otherwise. Matrices and
    filter banks only: a vector of the right length is too often a running statistic or a cache."""
    if ours.ndim < 2:
        return None
    others = {a for c, names in PARAM_ALIASES.items() if c != canonical for a in names}
    own = getattr(obj, "__dict__", {})
    # an array itself, or the array inside a parameter object (`self.embeds = Parameter(table)`, read as .data)
    held: dict[str, tuple[np.ndarray, str | None]] = {}
    for n, v in own.items():
        inner = next((a for a in WRAPPED_VALUE if isinstance(getattr(v, a, None), np.ndarray)), None)
        if isinstance(v, np.ndarray) or inner is not None and not isinstance(v, type):
            held[n] = (v, None) if isinstance(v, np.ndarray) or inner is None else (getattr(v, inner), inner)
    found = {n: (v, inner) for n, (v, inner) in held.items()
             if n.lstrip("_") not in others and "grad" not in n.lower()
             and _shape_map(v.shape, ours.shape) is not None and (v.shape == ours.shape or v.ndim == ours.ndim)}
    gradients = {g for n in found for g in _grad_names(n, canonical)}
    found = {n: v for n, v in found.items() if n not in gradients}
    if len(found) != 1:
        return None
    (name, (have, inner)), = found.items()
    to_layer, from_layer = _shape_map(have.shape, ours.shape) or (_same, _same)
    if inner is not None:
        holder = own[name]
        grad = next((g for g in WRAPPED_GRADIENT if hasattr(holder, g)), "grad")
        return Slot(canonical, f"{name}.{inner}", _attr_get(holder, inner), _attr_put(holder, inner), to_layer,
                    from_layer, [_attr_get(holder, g) for g in WRAPPED_GRADIENT], f"{name}.{grad}")
    return Slot(canonical, name, _attr_get(obj, name), _attr_put(obj, name), to_layer, from_layer,
                _grad_attrs(obj, name, canonical), _grad_names(name, canonical)[0])


def _candidates(obj: Any, canonical: str, *, index: int, count: int) -> list[Slot]:
    """Every place `obj` may keep `canonical`, in the order `find_slot` tries them: attributes, `params` dict
    entries, a shared weight listed several times, the `index`-th item of a `params` list."""
    # `params`/`grads` (CS231n, the textbook), `parameters`/`gradients` (numpy-ml); a method of that name
    # (ML-From-Scratch's parameters() counts them) is not a store
    store, params = _store(obj, "params", "parameters")
    grads = _store(obj, "grads", "gradients")[1]
    out = _attribute_slots(obj, canonical, params, grads, index=index, count=count)
    if isinstance(params, dict):
        out += _dict_slots(obj, canonical, store, params, grads)
    if count == 1 and _shared(params, grads):
        # one weight listed once per inner layer that uses it (the second volume's NegativeSamplingLoss: W once
        # per EmbeddingDot), each with its own gradient: the weight's gradient is their sum, as the book's
        # optimizer sums duplicated parameters
        out.append(Slot(canonical, f"{store}[0]", _store_get(params, 0), _store_put_all(params), _same, _same,
                        [lambda: sum(np.asarray(g) for g in grads)], "sum(grads)"))
    if isinstance(params, list) and len(params) == count:
        places = [_store_get(grads, index)] if isinstance(grads, list) and len(grads) == count else []
        put = _store_put(params, index)
        # the same array also kept under a name gradlab does not know for it (a LayerNorm's self.b, listed as
        # params[1], that its forward reads): that attribute gets gradlab's array too, or forward would not see it
        for name in _attributes_holding(obj, params[index] if index < len(params) else None):
            put = _both(put, _attr_put(obj, name))
        out.append(Slot(canonical, f"{store}[{index}]", _store_get(params, index), put, _same, _same, places,
                        f"grads[{index}]"))
    return out


def _attribute_slots(obj: Any, canonical: str, params: Any, grads: Any, *, index: int, count: int) -> list[Slot]:
    """The candidates kept as attributes of `obj` under a name of `canonical` (`self.W`, `self._W`), and the array
    inside a parameter object kept there (`self.W.data`)."""
    out = []
    for name in _names(canonical):
        if name in getattr(obj, "__dict__", {}) or hasattr(type(obj), name):
            grad_places = _grad_attrs(obj, name, canonical)
            if isinstance(grads, dict):
                grad_places += [_store_get(grads, k) for k in (name, "d" + name, *_grad_names(name, canonical))]
            spelling = "_d" + name[1:] if name.startswith("_") else "d" + name
            put = _attr_put(obj, name)
            if _listed(params, grads, getattr(obj, name, None), index=index, count=count):
                # the same array kept twice (the second volume's TimeEmbedding: self.W and params[0]): both
                # places get gradlab's array, and its gradient may be in the grads list only
                grad_places.append(_store_get(grads, index))
                put = _both(put, _store_put(params, index))
            out.append(Slot(canonical, name, _attr_get(obj, name), put, _same, _same, grad_places, spelling))
            holder = getattr(obj, name, None)
            inner = next((a for a in WRAPPED_VALUE if isinstance(getattr(holder, a, None), np.ndarray)), None) \
                if holder is not None and not isinstance(holder, np.ndarray) else None
            if inner is not None:
                # a parameter object holding its array and its gradient (a small library's Parameter with
                # `.value` and `.gradient`, micrograd-style `.data` and `.grad`)
                places = [_attr_get(holder, g) for g in WRAPPED_GRADIENT]
                grad = next((g for g in WRAPPED_GRADIENT if hasattr(holder, g)), "grad")
                out.append(Slot(canonical, f"{name}.{inner}", _attr_get(holder, inner), _attr_put(holder, inner),
                                _same, _same, places, f"{name}.{grad}"))
    return out


def _dict_slots(obj: Any, canonical: str, store: str, params: dict[Any, Any], grads: Any) -> list[Slot]:
    """The candidates kept in the `params` dict (attribute `store`) under a name of `canonical` (`params['W']`), and
    the array inside a parameter object kept there (`params['w'].data`)."""
    out = []
    for name in _names(canonical):
        if name in params:
            places = [_store_get(grads, k) for k in (name, "d" + name)] if isinstance(grads, dict) else []
            places += _grad_attrs(obj, name, canonical)
            out.append(Slot(canonical, f"{store}[{name!r}]", _store_get(params, name),
                            _store_put(params, name), _same, _same, places, "d" + name))
            holder = params[name]
            inner = next((a for a in WRAPPED_VALUE if isinstance(getattr(holder, a, None), np.ndarray)), None) \
                if holder is not None and not isinstance(holder, np.ndarray) else None
            if inner is not None:
                # a dict of parameter objects, each with its array and its gradient (a small framework's
                # self.params = {"w": Tensor(w), "b": Tensor(b)}, read as .data and .grad)
                grad = next((g for g in WRAPPED_GRADIENT if hasattr(holder, g)), "grad")
                out.append(Slot(canonical, f"{store}[{name!r}].{inner}", _attr_get(holder, inner),
                                _attr_put(holder, inner), _same, _same,
                                [_attr_get(holder, g) for g in WRAPPED_GRADIENT], f"{store}[{name!r}].{grad}"))
    return out


def _attributes_holding(obj: Any, array: Any) -> list[str]:
    """The names of `obj`'s attributes that hold `array` itself (not a copy)."""
    if not isinstance(array, np.ndarray):
        return []
    return [n for n, v in getattr(obj, "__dict__", {}).items() if v is array]


def _store(obj: Any, *names: str) -> tuple[str, Any]:
    """(the attribute's name, its value): the first of `names` that holds a dict or a list."""
    for name in names:
        value = getattr(obj, name, None)
        if isinstance(value, (dict, list)):
            return name, value
    return names[0], None


def _listed(params: Any, grads: Any, array: Any, *, index: int, count: int) -> bool:
    """`array` is also the `index`-th item of a `params` list, next to a `grads` list of the same length."""
    return isinstance(array, np.ndarray) and isinstance(params, list) and isinstance(grads, list) and \
        len(params) == len(grads) == count and params[index] is array


def _shared(params: Any, grads: Any) -> bool:
    """A `params` list holding one array several times, next to a `grads` list of the same length."""
    return isinstance(params, list) and isinstance(grads, list) and len(params) == len(grads) > 1 and \
        isinstance(params[0], np.ndarray) and all(p is params[0] for p in params)


def _store_put_all(store: list[Any]) -> Callable[[Any], None]:
    def put(value: Any) -> None:
        store[:] = [value] * len(store)
    return put


def _both(first: Callable[[Any], None], second: Callable[[Any], None]) -> Callable[[Any], None]:
    def put(value: Any) -> None:
        first(value)
        second(value)
    return put


def _attr_get(obj: Any, name: str) -> Callable[[], Any]:
    return lambda: getattr(obj, name, None)


def _attr_put(obj: Any, name: str) -> Callable[[Any], None]:
    def put(value: Any) -> None:
        setattr(obj, name, value)
    return put


def _store_put(store: Any, key: Any) -> Callable[[Any], None]:
    def put(value: Any) -> None:
        store[key] = value
    return put


def _same(a: np.ndarray) -> np.ndarray:
    return a
