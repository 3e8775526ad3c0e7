"""The helper modules a course hands out beside its exercises, lent when a learner's upload left them out.

deeplearning.ai's exercises import their activations from files the course provides (`from dnn_utils import
sigmoid, relu, relu_backward, sigmoid_backward`; `from rnn_utils import *` for the recurrent cells' softmax and
sigmoid), and learners publish the notebook or its .py export without them. Those helpers are small, fixed by
the course's own tests, and not the learner's work: gradlab's own implementation of each stands in (written here,
with the course's signatures: `sigmoid(Z) -> (A, cache)` with the cache Z, `relu_backward(dA, cache) -> dZ`, the
recurrent cells' softmax over axis 0), so the layers built on them are checked instead of set aside. A name the
module does not lend raises ModuleNotFoundError when it is used, as a stand-in's does. Lent only when nothing
else provides the module (a helper beside the file, the learner's own version, always wins).
Non-goal: lending a course's graded functions, or helpers whose behaviour a course changed between years.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from gradlab.conventions.accelerators import ACCELERATORS
from gradlab.conventions.import_finders import stand_in_names

__all__ = ["COURSE_HELPERS", "CourseHelpers"]


def _sigmoid_cached(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return 1.0 / (1.0 + np.exp(-Z)), Z


def _relu_cached(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.maximum(0, Z), Z


def _relu_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    dZ = np.array(dA, copy=True)
    dZ[cache <= 0] = 0
    return dZ


def _sigmoid_backward(dA: np.ndarray, cache: np.ndarray) -> np.ndarray:
    s = 1.0 / (1.0 + np.exp(-cache))
    return dA * s * (1 - s)


def _softmax_columns(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - np.max(x))
    return e / e.sum(axis=0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# keyword arguments, not quoted names: a kind's name is spelled as a string in its own module only (test_kinds)
_DNN_UTILS: dict[str, Callable[..., Any]] = dict(sigmoid=_sigmoid_cached, relu=_relu_cached,
                                                 relu_backward=_relu_backward, sigmoid_backward=_sigmoid_backward)
#: module name -> the functions lent under it (course 1 week 4's dnn_utils and its versions, course 5 week 1's)
COURSE_HELPERS: dict[str, dict[str, Callable[..., Any]]] = {
    "dnn_utils": _DNN_UTILS, "dnn_utils_v2": _DNN_UTILS, "dnn_app_utils": _DNN_UTILS, "dnn_app_utils_v2": _DNN_UTILS,
    "dnn_app_utils_v3": _DNN_UTILS, "rnn_utils": dict(softmax=_softmax_columns, sigmoid=_sigmoid),
    **ACCELERATORS,
}


class CourseHelpers(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Gives a module of `COURSE_HELPERS` that nothing else found; `lent` lists those given since it was made."""

    def __init__(self) -> None:
        self.lent: list[str] = []

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if name not in COURSE_HELPERS:
            return None
        if name not in self.lent:
            self.lent.append(name)
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        lent = COURSE_HELPERS[module.__name__]
        module.__dict__.update(lent)
        module.__all__ = sorted(lent)  # type: ignore[attr-defined]
        # what it does not lend (load_data, predict) is a stand-in: importing it works, using it says what is missing
        module.__getattr__ = stand_in_names(module.__name__)  # type: ignore[method-assign]
