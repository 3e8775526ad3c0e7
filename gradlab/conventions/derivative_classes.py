"""Activation classes whose backward takes the layer's input, not the upstream gradient.

A learners' style writes an activation as `forward(x)` and `backward(x)` returning the local derivative f'(x), which
the layer before it multiplies in (`dZ = dA * self.activation.backward(self.z)`). Its backward is then not a backward
in the course's sense, and is neither failed as one nor guessed at from a failing number: it is recognised from its
signature alone (backward's only argument named as forward's input is, or as an input is named: x, z, inputs), and
checked as what it is, `dout * backward(x)` with the x forward was given, with a note saying so. A backward whose
argument is named like an upstream gradient (dout, grad, dA) is never read this way, so that dropping the upstream
gradient there is still a bug.

The same local derivative comes as a function next to the activation's, in the "neural network from scratch" style
and its forks: `tanh(x)` with `tanh_prime(x)`, `sigmoid(z)` with `sigmoid_derivative(z)`, which an
`ActivationLayer(tanh, tanh_prime)` multiplies by the upstream gradient. The pair is the layer `tanh`, checked as
`dout * tanh_prime(x)` (`ActivationPairLayer`); a derivative whose argument is named as the output
(`sigmoid_derivative(s)`, `(a)`, `(y)`, `(output)`) is given the activation's output, as its callers do.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.conventions.calling import as_array, call, signature
from gradlab.core.protocol import Layer
from gradlab.kinds import Case, Kind

__all__ = ["ActivationPairLayer", "DerivativeClassLayer", "derivative_layer", "pair_layer", "takes_its_input"]

#: names of a layer's input, as a backward taking it may spell them
INPUT_NAMES = ("x", "z", "input", "inputs", "inp", "input_val", "x_in", "net", "pre_activation", "preactivation")


#: names a derivative's argument has when it is the activation's output, not its input (s * (1 - s))
OUTPUT_NAMES = ("a", "y", "s", "out", "output", "outputs", "activation", "activated", "activations", "fx", "sig")


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


def pair_layer(function: Any, derivative: Any, kind: Kind, case: Case, name: str) -> Layer:
    """The layer for a loss and its derivative (`gradlab.conventions.function_inputs.LossPairLayer`), or for an
    activation and its derivative, judged on the Jacobian's diagonal where that is all an elementwise derivative can
    be (a softmax's), as `derivative_layer` is."""
    from gradlab.conventions.function_inputs import LossPairLayer
    from gradlab.conventions.library_objects import DiagonalOnly

    if kind.is_loss:
        return LossPairLayer(function, derivative, kind, case)
    return DiagonalOnly(ActivationPairLayer(function, derivative, kind), case, name)


class ActivationPairLayer(Layer):
    """`activation(x)` forward, `dout * derivative(x)` backward, or `dout * derivative(activation(x))` for a
    derivative whose argument is named as the output (see the module docstring)."""

    def __init__(self, activation: Any, derivative: Any, kind: Kind):
        self.kind, self.activation, self.derivative = kind, activation, derivative
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        arguments = _positional(derivative)
        self.of_output = bool(arguments) and arguments[0].name.lower() in OUTPUT_NAMES
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        self.x = x.copy()
        name = self.activation.__name__
        return as_array(call(name, self.activation, x), name)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        assert self.x is not None, "backward before forward"
        at = self.x.copy()
        if self.of_output:
            at = as_array(call(self.activation.__name__, self.activation, at), self.activation.__name__)
        name = self.derivative.__name__
        return dout * as_array(call(name, self.derivative, at), name), {}
