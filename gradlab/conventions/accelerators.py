"""Compilers a learner's numpy code is decorated with, lent as the identity when they are not installed.

From-scratch CNN libraries speed their loops up with numba (`from numba import njit`, `@njit(cache=True)` over an
im2col or a convolution loop, `prange` in place of `range`). numba compiles the function and changes nothing it
computes, so where numba is not installed the decorators are lent as the identity and `prange` as `range`: the
layers built on those functions are checked, as plain Python, instead of every file of the library failing to
import. A name the module does not lend raises ModuleNotFoundError when it is used, as a stand-in's does. Lent only
when nothing else provides the module (an installed numba always wins).
Non-goal: numba's typed containers, CUDA kernels, or `vectorize`'s ufuncs (a layer using one is set aside).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["ACCELERATORS"]


def _compiles(*args: Any, **_: Any) -> Any:
    """`@njit`, `@njit(cache=True)`, `@jit("f8(f8[:])", nopython=True)`: the function itself, uncompiled."""
    if len(args) == 1 and callable(args[0]):
        return args[0]
    return lambda function: function


#: module name -> the names lent under it
ACCELERATORS: dict[str, dict[str, Callable[..., Any]]] = {
    "numba": {"jit": _compiles, "njit": _compiles, "prange": range},
}
