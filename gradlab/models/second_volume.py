"""Whole models as the textbook's second volume writes them, made checkable: TwoLayerNet, SimpleCBOW, CBOW,
SkipGram, SimpleRnnlm, Rnnlm, BetterRnnlm, Seq2seq and its Peeky and Attention variants.

Such a model keeps its layers, gathers their parameters into `self.params` and their gradient arrays into
`self.grads` (lists, index for index), computes the loss in `forward(x, t)` (`forward(contexts, target)`,
`forward(xs, ts)`) and fills `self.grads` in place in `backward(dout=1)`. Three things stand between it and a
finite-difference check, and this module removes each:
- its arrays are float32 (`.astype('f')`), and its time layers allocate float32 buffers (`np.empty(..., dtype='f')`)
  that round every hidden state: the built model's float32 arrays are replaced by float64 copies (views, such as
  the tied `embed_W.T`, stay views of the copy), and while it runs, the `np` its modules see makes float32
  allocations float64 (`in_float64`). Its arithmetic is unchanged; only the rounding is finer;
- one array may be several entries of `params` (CBOW's context layers share `W_in`; BetterRnnlm's output layer
  takes `embed_W.T`): the gradient of the loss with respect to that array is the sum of its entries' gradients,
  as the book's own `remove_duplicate` forms it before the update (`shared_parameters`);
- its data is its own: word ids or one-hot rows, contexts or sequences (`data_encodings`, tried in turn: the one
  its forward and backward run on is the one checked).
A stateful RNN language model's `reset_state()` is called before every evaluation.
Non-goal: judging (that is `gradlab.models.check`, as for every convention).
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CONTEXTS", "PLAUSIBLE", "SEQUENCE_LENGTH", "WINDOW", "Encoding", "SharedParameter", "data_encodings",
           "fresh_state", "in_float64", "is_second_volume", "owners", "plausible_labels", "promote_to_float64",
           "rebound", "shared_parameters", "user_namespaces"]

#: the time steps of a sequence model's data (xs and ts are (N, T) word ids)
SEQUENCE_LENGTH = 3
#: the window of a word2vec model built by gradlab (`window_size`): contexts are 2 * WINDOW words
WINDOW = 1
#: how a word2vec model's forward names its context words: they are (N, 2 * window) ids, its targets (N,)
CONTEXTS = {"contexts", "context", "ctx", "contexts_ids"}

#: a class's code that gathers another object's parameters (`self.params += layer.params`): it holds layers
_GATHERS = re.compile(r"\b(?!self\b)[A-Za-z_]\w*\.params\b")


def is_second_volume(cls: type) -> bool:
    """Whether `cls` is a whole model in the second volume's convention: `forward` taking the data and its targets
    (two arguments without defaults), a `backward` callable with none (`dout=1`), no `loss` method, code that
    gathers its layers' `params`, and a name no layer kind has (the book's NegativeSamplingLoss gathers its
    EmbeddingDot layers' params too, but it is a layer, checked as one)."""
    from gradlab.kinds import kind_for_class

    try:
        klass: Any = cls
        forward = list(inspect.signature(klass.forward).parameters.values())[1:]
        backward = list(inspect.signature(klass.backward).parameters.values())[1:]
    except (AttributeError, TypeError, ValueError):
        return False
    required = [p for p in forward if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) != 2 or any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                                 for p in backward):
        return False
    if callable(getattr(cls, "loss", None)) or kind_for_class(cls.__name__) is not None:
        return False
    sources = []
    for k in cls.__mro__[:-1]:  # read method by method: the user's module has left sys.modules, a class's file with it
        for f in vars(k).values():
            try:
                sources.append(inspect.getsource(getattr(f, "__func__", f)))
            except (OSError, TypeError):
                continue
    return bool(_GATHERS.search("\n".join(sources)))


# -- float64 ------------------------------------------------------------------------------------------------------

_FLOAT32 = np.dtype(np.float32)
#: numpy functions whose dtype argument the model's code may spell float32 ('f', np.float32, 'float32')
_MAKERS = ("empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like", "full_like", "array",
           "asarray", "arange", "eye", "identity")


def _wider(dtype: Any) -> Any:
    try:
        return np.float64 if dtype is not None and np.dtype(dtype) == _FLOAT32 else dtype
    except TypeError:
        return dtype


def _maker(fn: Any) -> Any:
    signature_dtype_position = {"empty": 1, "zeros": 1, "ones": 1, "full": 2, "empty_like": 1, "zeros_like": 1,
                                "ones_like": 1, "full_like": 2, "array": 1, "asarray": 1}.get(fn.__name__)

    def wide(*args: Any, **kwargs: Any) -> Any:
        if "dtype" in kwargs:
            kwargs["dtype"] = _wider(kwargs["dtype"])
        elif signature_dtype_position is not None and len(args) > signature_dtype_position:
            args = (*args[:signature_dtype_position], _wider(args[signature_dtype_position]),
                    *args[signature_dtype_position + 1:])
        return fn(*args, **kwargs)

    wide.__name__ = fn.__name__
    return wide


class _Float64Numpy(types.ModuleType):
    """numpy, but float32 is float64: what the model's modules see while it is checked."""

    def __init__(self) -> None:
        super().__init__("numpy")
        for name in _MAKERS:
            setattr(self, name, _maker(getattr(np, name)))
        self.float32 = np.float64
        self.single = np.float64

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)


_WIDE_NUMPY = _Float64Numpy()


def user_namespaces(model: Any) -> list[dict[str, Any]]:
    """The global namespaces of the user's code the built model runs: its classes' methods', those of every object
    it holds (its layers, an encoder's layers), and of the functions they call (the book's softmax in functions.py)."""
    functions: list[Any] = []
    for obj in _objects(model):
        for klass in type(obj).__mro__[:-1]:
            functions += [getattr(f, "__func__", f) for f in vars(klass).values()
                          if inspect.isfunction(getattr(f, "__func__", f))]
    spaces: dict[int, dict[str, Any]] = {}
    seen: set[int] = set()
    for _ in range(3):  # model -> layer -> the functions the layer calls
        nxt = []
        for fn in functions:
            if id(fn) in seen or _not_users(fn.__code__.co_filename):
                continue
            seen.add(id(fn))
            spaces[id(fn.__globals__)] = fn.__globals__
            for name in fn.__code__.co_names:
                value = fn.__globals__.get(name)
                if inspect.isfunction(value):
                    nxt.append(value)
                elif isinstance(value, type):
                    nxt += [getattr(f, "__func__", f) for f in vars(value).values()
                            if inspect.isfunction(getattr(f, "__func__", f))]
        functions = nxt
    return list(spaces.values())


def _not_users(filename: str) -> bool:
    return "site-packages" in filename or "/gradlab/" in filename or "/lib/python" in filename


@contextmanager
def in_float64(spaces: list[dict[str, Any]]) -> Iterator[None]:
    """While the block runs, every name bound to numpy in `spaces` is numpy with float32 read as float64."""
    swapped = [(g, name) for g in spaces for name, value in list(g.items()) if value is np]
    try:
        for g, name in swapped:
            g[name] = _WIDE_NUMPY
        yield
    finally:
        for g, name in swapped:
            g[name] = np


def _objects(root: Any) -> list[Any]:
    """`root` and the user's objects it holds, however deep (attributes, lists, tuples, dicts)."""
    out: list[Any] = []
    seen: set[int] = set()
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            todo += list(obj)
        elif isinstance(obj, dict):
            todo += list(obj.values())
        elif _is_users_object(obj):
            out.append(obj)
            todo += list(vars(obj).values())
    return out


def _is_users_object(obj: Any) -> bool:
    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.MethodType, np.ndarray, np.generic)):
        return False
    package = (type(obj).__module__ or "").split(".")[0]  # (the user's modules are gradlab_user_*: theirs)
    return hasattr(obj, "__dict__") and package not in ("numpy", "gradlab", "builtins")


def promote_to_float64(model: Any) -> int:
    """Every float32 array the built model holds replaced by a float64 copy, in place, wherever it is held (one
    copy per array: a parameter and the same array in its layer's list stay one array; a view of it, such as a
    tied transpose, becomes the same view of the copy). The number of arrays promoted."""
    copies: dict[int, np.ndarray] = {}
    views: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # (the original kept alive, so that its id stays its own)

    def promoted(a: np.ndarray) -> np.ndarray:
        root = _root(a)
        wide = copies.get(id(root))
        if wide is None and a is root:  # (C order: the checker perturbs a parameter through its flat view)
            wide = copies[id(root)] = np.ascontiguousarray(root, dtype=np.float64)
        elif wide is None and root.flags.c_contiguous:
            wide = copies[id(root)] = root.astype(np.float64)
        if wide is None:  # a view of an array not in C order: left as it is
            return a
        if a is root:
            return wide
        if id(a) not in views:  # one view for one view: a layer and the model holding the same view hold one array
            offset = (a.__array_interface__["data"][0] - root.__array_interface__["data"][0]) // root.itemsize
            strides = tuple(s // root.itemsize * wide.itemsize for s in a.strides)
            views[id(a)] = (a, _view(wide, offset, a.shape, strides))
        return views[id(a)][1]

    def swap(value: Any) -> Any:
        if _to_promote(value):
            return promoted(value)
        if isinstance(value, tuple) and any(_to_promote(v) for v in value):
            return tuple(swap(v) for v in value)
        return value

    seen: set[int] = set()
    todo = [model]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, list):
            obj[:] = [swap(v) for v in obj]
            todo += obj
        elif isinstance(obj, dict):
            for k in list(obj):
                obj[k] = swap(obj[k])
            todo += list(obj.values())
        elif isinstance(obj, tuple):
            todo += list(obj)
        elif _is_users_object(obj):
            for k, v in list(vars(obj).items()):
                setattr(obj, k, swap(v))
            todo += list(vars(obj).values())
    return len(copies)


def _view(base: np.ndarray, offset: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """The view of `base` (contiguous) starting `offset` elements in, with `shape` and byte `strides`: its `.base`
    is `base` (as_strided's is not an array), so the view is found to be one array with it."""
    return np.ndarray(shape, dtype=base.dtype, buffer=base, offset=offset * base.itemsize, strides=strides)


def _to_promote(value: Any) -> bool:
    """A float32 array, or a float64 one that owns its data in another order than C (`np.zeros_like(W.T)`)."""
    if not isinstance(value, np.ndarray):
        return False
    return value.dtype == _FLOAT32 or (value.dtype == np.float64 and value.base is None and value.size > 1
                                       and not value.flags.c_contiguous)


def _root(a: np.ndarray) -> np.ndarray:
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a


def fresh_state(model: Any) -> None:
    """The model's state reset before an evaluation: its `reset_state()`, or, for a model without one, that of every
    layer it holds which has one (a stateful TimeLSTM would carry the last evaluation's hidden state into the next,
    and finite differences would see it move)."""
    reset = getattr(model, "reset_state", None)
    if callable(reset):
        reset()
        return
    for obj in _objects(model)[1:]:
        reset = getattr(obj, "reset_state", None)
        if callable(reset):
            reset()


# -- parameters that are one array ---------------------------------------------------------------------------------

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
        root = _root(p)
        if not root.flags.c_contiguous:
            from gradlab.models.adapters import ModelError

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
            entries.append((i, np.array(_view(index, offset, p.shape, strides))))
        out.append(SharedParameter(f"params[{members[0]}]", root, tuple(entries)))
    return out


def owners(model: Any) -> dict[int, str]:
    """Each parameter array of the model (by id) as the layer holding it says it, `the TimeRNN's params[1]`: the
    object with the shortest `params` list that holds it (a layer, not the encoder gathering its layers')."""
    found: dict[int, tuple[int, str]] = {}
    for obj in _objects(model)[1:]:
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
    for obj in _objects(model)[1:]:
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


# -- data -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Encoding:
    """One way of giving a model its data: what it is called in reports, and the arrays by forward's argument."""

    said: str
    arrays: dict[str, np.ndarray]


def data_encodings(cls: type, *, N: int, D: int, C: int, vocab: int | None,
                   rng: np.random.Generator) -> list[Encoding]:
    """The data to try `cls.forward(a, t)` with, in order. A model built from a vocabulary takes word ids: contexts
    (N, 2 * WINDOW) and target (N,) when its first argument is named so (CBOW, SkipGram), else sequences xs and ts
    (N, T) (the RNN language models, Seq2seq); the ch03 models take the same words as one-hot rows, tried next.
    Any other takes features x (N, D) and class ids t (N,) of C classes, then one-hot rows."""
    klass: Any = cls
    first, second = [p for p in list(inspect.signature(klass.forward).parameters)[1:]][:2]
    if vocab is None:
        x = rng.standard_normal((N, D))
        t = rng.integers(0, C, N)
        return [Encoding(f"x {x.shape}, t {t.shape} class ids", {first: x, second: t}),
                Encoding(f"x {x.shape}, t {(N, C)} one-hot", {first: x, second: np.eye(C)[t]})]
    if first.lower() in CONTEXTS:
        a, t = rng.integers(0, vocab, (N, 2 * WINDOW)), rng.integers(0, vocab, N)
    else:
        a, t = rng.integers(0, vocab, (N, SEQUENCE_LENGTH)), rng.integers(0, vocab, (N, SEQUENCE_LENGTH))
    one_hot = np.eye(vocab)
    return [Encoding(f"{first} {a.shape}, {second} {t.shape} word ids of {vocab}", {first: a, second: t}),
            Encoding(f"{first} {(*a.shape, vocab)}, {second} {(*t.shape, vocab)} one-hot", {first: one_hot[a],
                                                                                           second: one_hot[t]})]


#: a label is drawn among the classes the model gives at least this share of 1 / C (see `plausible_labels`)
PLAUSIBLE = 0.1


def plausible_labels(scores: Any, t: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Labels `t` drawn again among the classes the model's own scores do not call nearly impossible (softmax
    probability at least PLAUSIBLE / C), in `t`'s encoding (ids, or one-hot rows); None when the scores are not one
    score per class of each label. The book's cross_entropy_error takes log(p + 1e-7), which its gradient (p - t)
    leaves out: inexact by about 1e-7 / p, which a model initialised with randn weights (p of 1e-4 for a random
    label) turns into a false failure. A label the model gives p >= 0.1 / C keeps that below 1e-5 relative."""
    s = np.asarray(scores, dtype=np.float64)
    ids = t.ndim == s.ndim - 1 and s.shape[:-1] == t.shape
    one_hot = t.shape == s.shape and t.ndim >= 1
    if not (ids or one_hot) or not s.size or not np.all(np.isfinite(s)):
        return None
    C = s.shape[-1]
    flat = s.reshape(-1, C)
    p = np.exp(flat - flat.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    drawn = np.array([rng.choice(np.flatnonzero(row >= PLAUSIBLE / C)) for row in p])
    if ids:
        return drawn.reshape(t.shape).astype(t.dtype)
    return np.eye(C, dtype=t.dtype)[drawn].reshape(t.shape)
