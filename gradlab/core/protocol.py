"""gradlab's native layer protocol: what the checker talks to.

Adapters (`gradlab.conventions.adapters`) turn a class-style or function-style layer into this shape; a user
may also write a layer in this shape directly. Parameters are live arrays: the checker perturbs
them in place and restores them exactly, so a layer must read them at every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Layer(Protocol):
    #: parameter name -> the array the layer computes with (float64 during a check)
    params: dict[str, np.ndarray]

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        """The output for input `x` (and labels `t` for a loss layer, whose output is a scalar)."""
        ...

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        """`(dx, {param name: gradient})` for the most recent forward; dx is None when x has no gradient."""
        ...


# Optional, for layers that live in another process (the grader's sandbox):
#   forward_perturbed(target, flat_indices, values, *, x, t) -> np.ndarray
# returns the stacked outputs of many single-element perturbations of `target` ("x" or a
# parameter name) in one round trip; the checker uses it instead of one forward call per element.
#   forward_replaced(target, arrays, *, x, t) -> np.ndarray
# returns the stacked outputs with `target` replaced by each of `arrays` (K, *target.shape): the
# whole-array moves of fast mode (gradlab.core.projection) in one call. Both hooks may be vectorised.
#   install_param(name, array) -> None
# the layer computes with `array` (the parameter's shape, any dtype: the complex step's complex
# copy, gradlab.core.complex_step) in place of parameter `name` until `install_param(name,
# params[name])` puts gradlab's own array back. Without it, the checker puts the array in `params`
# (a layer reads them at every call); a layer that keeps them elsewhere simply gets no complex step.
#   grad_names: dict[str, str]
# how the user spells each parameter's gradient (`dw` where gradlab says W), for messages.
#   user_view(target, array) -> np.ndarray
# `array`, in gradlab's orientation for `target` ("x", a parameter name, or "out" for the output
# and the upstream gradient), as the user's own code holds it: transposed, or a vector as a column,
# for a layer written for samples as columns. Diagnosis and the result's shapes, indices and arrays
# are then in the user's orientation ("summed over axis 0" is the user's axis 0). A gradient the
# layer returns in a shape it does not recognise must come back unchanged, so that its view is
# what the user returned. Without the hook, gradlab's orientation is the user's.
#   snapshot_state() -> Callable[[], None] | None
# for a layer in another process: it keeps its whole state there (the gradients it accumulates, an optimizer's
# velocity) and returns what puts that state back, or None. Diagnosis asks each of its questions of the layer as
# the check's backward found it (`gradlab.core.layer_state`); without the hook only the parameters are put back.
#   forward_eval(x) -> np.ndarray
# the output in the layer's evaluation mode (`forward(x, train_flg=False)`, a settings dict's "mode": "test"), for
# `Kind.mode_law`; raises LayerCrash where the layer has no such mode. Without it, no mode law is asked.


def user_view(layer: object, target: str) -> Callable[[np.ndarray], np.ndarray]:
    """How the user sees gradlab's arrays of `target` (the identity without the `user_view` hook)."""
    view = getattr(layer, "user_view", None)
    if not callable(view):
        return _same
    return lambda a: np.asarray(view(target, a))


def _same(a: np.ndarray) -> np.ndarray:
    return a


def grad_name(layer: object, target: str) -> str:
    """How the user spells the gradient of `target` ("x" or a canonical parameter): dx, dW, dw, dgamma."""
    if target == "x":
        return "dx"
    return str(getattr(layer, "grad_names", {}).get(target, "d" + target))


#: optional hooks that evaluate the layer on gradlab's batch as given: a wrapper that hands the layer its arrays in
#: another form (one sample, sequences, a reduced loss) must not pass them on
BATCHED_HOOKS = ("forward_perturbed", "forward_replaced", "user_view")


class LayerCrash(Exception):
    """The layer under test raised or returned something unusable; the message says which call."""

    def __init__(self, call: str, detail: str):
        super().__init__(f"{call}: {detail}")
        self.call = call
        self.detail = detail


class LayerSignatureError(Exception):
    """gradlab cannot call this layer: its constructor or functions do not have a recognisable signature."""
