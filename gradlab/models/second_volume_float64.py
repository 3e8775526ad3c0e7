"""A second-volume model made to compute in float64, where the book's code computes in float32.

The book's models make their arrays float32 (`.astype('f')`), and their time layers allocate float32 buffers
(`np.empty(..., dtype='f')`) that round every hidden state: finite differences of a float32 loss are noise. The built
model's float32 arrays are replaced by float64 copies (`promote_to_float64`; views, such as the tied `embed_W.T`, stay
views of the copy), and while it runs, the `np` its modules see makes float32 allocations float64 (`in_float64`,
over the namespaces `user_namespaces` finds). Its arithmetic is unchanged; only the rounding is finer.
Non-goal: finding what it still rounds (`gradlab.models.check` measures that per parameter) or calling it.
"""

from __future__ import annotations

import inspect
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from gradlab.models.second_volume import held_objects, is_users_object

__all__ = ["in_float64", "promote_to_float64", "root_of", "user_namespaces", "view_of"]

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
    for obj in held_objects(model):
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



def promote_to_float64(model: Any) -> int:
    """Every float32 array the built model holds replaced by a float64 copy, in place, wherever it is held (one
    copy per array: a parameter and the same array in its layer's list stay one array; a view of it, such as a
    tied transpose, becomes the same view of the copy). The number of arrays promoted."""
    copies: dict[int, np.ndarray] = {}
    views: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # (the original kept alive, so that its id stays its own)

    def promoted(a: np.ndarray) -> np.ndarray:
        root = root_of(a)
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
            views[id(a)] = (a, view_of(wide, offset, a.shape, strides))
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
        elif is_users_object(obj):
            for k, v in list(vars(obj).items()):
                setattr(obj, k, swap(v))
            todo += list(vars(obj).values())
    return len(copies)


def view_of(base: np.ndarray, offset: int, shape: tuple[int, ...], strides: tuple[int, ...]) -> np.ndarray:
    """The view of `base` (contiguous) starting `offset` elements in, with `shape` and byte `strides`: its `.base`
    is `base` (as_strided's is not an array), so the view is found to be one array with it."""
    return np.ndarray(shape, dtype=base.dtype, buffer=base, offset=offset * base.itemsize, strides=strides)


def _to_promote(value: Any) -> bool:
    """A float32 array, or a float64 one that owns its data in another order than C (`np.zeros_like(W.T)`)."""
    if not isinstance(value, np.ndarray):
        return False
    return value.dtype == _FLOAT32 or (value.dtype == np.float64 and value.base is None and value.size > 1
                                       and not value.flags.c_contiguous)


def root_of(a: np.ndarray) -> np.ndarray:
    """The array that owns the memory `a` is a view of (`a` itself if it owns its own)."""
    while isinstance(a.base, np.ndarray):
        a = a.base
    return a
