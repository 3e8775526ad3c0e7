"""Activation classes whose backward takes the layer's input, not the upstream gradient.

A learners' style writes an activation as `forward(x)` and `backward(x)` returning the local derivative f'(x), which
the layer before it multiplies in (`dZ = dA * self.activation.backward(self.z)`). Its backward is then not a backward
in the course's sense, and is neither failed as one nor guessed at from a failing number: it is recognised from its
signature alone (backward's only argument named as forward's input is, or as an input is named: x, z, inputs), and
checked as what it is, `dout * backward(x)` with the x forward was given, with a note saying so. A backward whose
argument is named like an upstream gradient (dout, grad, dA) is never read this way, so that dropping the upstream
gradient there is still a bug.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, signature
from gradlab.core.protocol import Layer
from gradlab.kinds import Case, Kind

__all__ = ["DerivativeClassLayer", "derivative_layer", "takes_its_input"]

#: names of a layer's input, as a backward taking it may spell them
INPUT_NAMES = ("x", "z", "input", "inputs", "inp", "input_val", "x_in", "net", "pre_activation", "preactivation")


def _positional(fn: Any) -> list[Any]:
    try:
        params = [p for p in signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return []
    return params[1:] if params and params[0].name == "self" else params


def takes_its_input(cls: Any, kind: Kind) -> bool:
    """Whether `cls` is an activation class of an elementwise kind whose backward's only argument is named as its
    input: as forward's own first argument is named, or as one of `INPUT_NAMES`."""
    if not isinstance(cls, type) or kind.params or kind.is_loss or kind.forward_inputs:
        return False
    forward, backward = getattr(cls, "forward", None), getattr(cls, "backward", None)
    if not callable(forward) or not callable(backward):
        return False
    given = [p for p in _positional(backward) if p.default is p.empty]
    if len(given) != 1 or len(_positional(backward)) != 1:
        return False
    name = given[0].name
    inputs = _positional(forward)
    return bool(inputs) and (name == inputs[0].name or name.lower() in INPUT_NAMES)


def derivative_layer(cls: type, kind: Kind, case: Case, name: str) -> Layer:
    """The layer for `cls`, judged on its Jacobian's diagonal where that is all an elementwise derivative can be (a
    softmax's s * (1 - s), as a library's `gradient(x)` is: `DiagonalOnly`), with both notes."""
    from gradlab.conventions.library_objects import DiagonalOnly

    inner = DerivativeClassLayer(cls, kind, case, name)
    layer = DiagonalOnly(inner, case, name)
    layer.notes = inner.notes + layer.notes
    return layer


class DerivativeClassLayer(Layer):
    """`obj.forward(x)` forward, `dout * obj.backward(x)` backward (see the module docstring)."""

    def __init__(self, cls: type, kind: Kind, case: Case, name: str):
        self.kind = kind
        self.obj = call(f"{cls.__name__}()", cls)
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        self.x: np.ndarray | None = None
        argument = _positional(cls.backward)[0].name  # type: ignore[attr-defined]
        self.notes: tuple[tuple[str, str], ...] = ((
            "dropped-term", f"{name}.backward({argument}) takes the layer's input and returns the local derivative "
            f"f'({argument}), not dout * f'({argument}): checked as that (dout * backward(x)), and right as that; the "
            "layer that calls it must multiply in the upstream gradient"),)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.x = x.copy()
        name = type(self.obj).__name__
        return as_array(call(f"{name}.forward", self.obj.forward, x), f"{name}.forward")

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = f"{type(self.obj).__name__}.backward"
        derivative = as_array(call(name, self.obj.backward, None if self.x is None else self.x.copy()), name)
        return dout * derivative, {}
