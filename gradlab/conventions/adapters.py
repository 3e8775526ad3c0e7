"""Adapters: run a layer written in any supported convention through gradlab's native protocol.

The student's code is called exactly as the course calls it, never changed: a class-style layer is
constructed with its parameters and hyper-parameters and keeps them as attributes (or in a
`params` dict); a function-style layer gets them as arguments. Both end up exposing `params` as
live float64 arrays that the checker can perturb in place.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from gradlab.conventions.autograd_functions import is_autograd_function
from gradlab.conventions.calling import call, crash_report
from gradlab.conventions.class_style import ClassLayer
from gradlab.conventions.ctx_functions import CtxLossLayer, ctx_pair, ctx_style
from gradlab.conventions.derivative_classes import takes_its_input
from gradlab.conventions.function_inputs import inputs_style
from gradlab.conventions.function_style import FunctionLayer, LossFunctionLayer
from gradlab.conventions.library_layers import is_library_class
from gradlab.conventions.registry import Entry
from gradlab.conventions.regularisers import PenaltyLayer, strengths
from gradlab.core.protocol import Layer, grad_name
from gradlab.kinds import Case, Kind

__all__ = ["ClassLayer", "FunctionLayer", "LossFunctionLayer", "adapt", "crash_report", "grad_names",
           "layout_hints", "refusal"]


def _samples_wrapper(samples: Any) -> Callable[[Layer], Layer] | None:
    """The layer wrapping a layer of the entry option `samples`: one sample with no batch axis
    (`gradlab.conventions.unbatched`), or rows given as the tokens of sequences (`gradlab.conventions.sequences`)."""
    if samples == "unbatched":
        from gradlab.conventions.unbatched import UnbatchedLayer

        return UnbatchedLayer
    if samples == "sequences":
        from gradlab.conventions.sequences import SequenceLayer

        return SequenceLayer
    return None


def _mean_wrapper(option: str) -> Callable[[Layer], Layer]:
    """The layer wrapping a layer whose parameter gradients are means over the batch (deeplearning.ai's), or a loss
    whose backward is the gradient of its unreduced losses' mean."""
    if option == "param_gradients":
        from gradlab.conventions.mean_gradients import MeanGradientsLayer

        return MeanGradientsLayer
    from gradlab.conventions.unreduced_mean import MeanOfUnreducedLayer

    return MeanOfUnreducedLayer


def adapt(entry: Entry, kind: Kind, case: Case) -> Layer:
    """A fresh native-protocol layer for `entry`, holding `case`'s parameters.

    `entry.options["layout"] == "columns"` runs a layer written for samples as columns
    (`gradlab.conventions.layouts`), with `entry.options["weights"]` "in_out" (default) or "out_in".
    """
    for option in ("param_gradients", "reduction"):  # a mean where gradlab's convention is a sum
        if entry.options.get(option) == "mean":
            inner = replace(entry, options={k: v for k, v in entry.options.items() if k != option})
            return _mean_wrapper(option)(adapt(inner, kind, case))
    wrapper = _samples_wrapper(entry.options.get("samples"))
    if wrapper is not None:  # one sample with no batch axis, or rows as the tokens of sequences
        return wrapper(adapt(replace(entry, options={k: v for k, v in entry.options.items() if k != "samples"}),
                             kind, case))
    if entry.options.get("channels") == "last":  # Keras' images (N, H, W, C), kernels (kh, kw, C_in, C_out)
        return _channels_last(entry, kind, case)
    if entry.options.get("layout", "rows") == "columns":
        from gradlab.conventions.layouts import ColumnsLayer

        rows = replace(entry, options={k: v for k, v in entry.options.items() if k not in ("layout", "weights")})
        return ColumnsLayer(lambda c: adapt(rows, kind, c), kind, case, weights=entry.options.get("weights", "in_out"),
                            index_labels=takes_indices(entry.convention, isinstance(entry.target, tuple), kind))
    target = entry.target
    if entry.convention == "class":
        given = strengths(target, kind.params)
        return PenaltyLayer(_class_layer(entry, kind, case), given) if given else _class_layer(entry, kind, case)
    if entry.convention == "native":
        layer = call("layer factory", target, case)
        for name, value in case.params.items():
            layer.params[name] = value
        return layer
    if isinstance(target, tuple) and entry.options.get("pair") == "prime":  # mse + mse_prime, tanh + tanh_prime
        from gradlab.conventions.derivative_classes import pair_layer

        return pair_layer(target[0], target[1], kind, case, entry.name)
    if isinstance(target, tuple) and (style := inputs_style(target[0], target[1], kind)) is not None:
        from gradlab.conventions.function_inputs import inputs_layer

        return inputs_layer(target[0], target[1], kind, case, style)
    if isinstance(target, tuple):
        return FunctionLayer(target[0], target[1], kind, case)
    return LossFunctionLayer(target, kind, case)



def _class_layer(entry: Entry, kind: Kind, case: Case) -> Layer:
    """A class-style layer's adapter, by how the class is written."""
    target = entry.target
    if ctx_style(target):  # torch.autograd.Function's static methods, in numpy
        if kind.is_loss and not kind.params:
            return CtxLossLayer(target, kind, case)
        return FunctionLayer(*ctx_pair(target), kind, case)
    if is_autograd_function(target, kind):  # DeZero: called, not forwarded
        from gradlab.conventions.autograd_functions import AutogradFunctionLayer

        return AutogradFunctionLayer(target, kind, case)
    if takes_its_input(target, kind):  # backward(x) returns f'(x)
        from gradlab.conventions.derivative_classes import derivative_layer

        return derivative_layer(target, kind, case, entry.name)
    if entry.options.get("object") or is_library_class(target):
        return _library(entry, kind, case)
    if kind.forward_inputs:  # a recurrent step taking its previous state in forward
        from gradlab.conventions.step_classes import StepClassLayer

        return StepClassLayer(target, kind, case)
    if kind.carried_state is not None and case.hyper.get("stateful"):  # a time layer called twice
        from gradlab.conventions.stateful_classes import StatefulClassLayer

        return StatefulClassLayer(target, kind, case)
    return ClassLayer(target, kind, case)


def _channels_last(entry: Entry, kind: Kind, case: Case) -> Layer:
    """`entry`'s layer given its images channels last (`gradlab.conventions.channels_last`)."""
    from gradlab.conventions.channels_last import ChannelsLastLayer

    inner = replace(entry, options={k: v for k, v in entry.options.items() if k != "channels"})
    return ChannelsLastLayer(lambda c, k: adapt(inner, k, c), kind, case)


def _library(entry: Entry, kind: Kind, case: Case) -> Layer:
    """A numpy library's layer, activation object or loss object (`gradlab.conventions.library_layers`,
    `gradlab.conventions.library_objects`); an activation is judged on its Jacobian's diagonal where that is
    its contract (`DiagonalOnly`)."""
    from gradlab.conventions.library_layers import LibraryLayer
    from gradlab.conventions.library_objects import ActivationObjectLayer, DiagonalOnly, LossObjectLayer

    role = entry.options.get("object")
    if role == "loss":
        return LossObjectLayer(entry.target, kind, case)
    if role == "activation":
        return DiagonalOnly(ActivationObjectLayer(entry.target, kind, case), case, entry.name)
    layer = LibraryLayer(entry.target, kind, case, construct_with=entry.options.get("construct_with"))
    return DiagonalOnly(layer, case, entry.name) if "construct_with" in entry.options and not kind.params else layer


def takes_indices(convention: str, pair: bool, kind: Kind) -> bool:
    """Whether a layer is handed class indices only, one-hot labels turned into indices: a loss
    function (function style, not a forward/backward `pair`) of a kind that takes indices."""
    return convention == "function" and not pair and kind.index_labels


def refusal(entry: Entry, kind: Kind) -> str | None:
    """Why `entry`'s options cannot apply to its kind at all (the column layout on a convolution), in
    one line; None when they can."""
    if entry.options.get("layout", "rows") == "columns":
        from gradlab.conventions.layouts import refusal as columns_refusal

        return columns_refusal(kind)
    return None


def layout_hints(entry: Entry) -> dict[str, str]:
    """Bug hints said in the entry's layout and gradient convention, where they differ from
    `gradlab.core.bugs` (no others)."""
    said: dict[str, str] = {}
    if entry.options.get("layout", "rows") == "columns":
        from gradlab.conventions.layouts import hints

        said.update(hints(entry.options.get("weights", "in_out")))
    if entry.convention == "class" and is_library_class(entry.target):  # the optimizer updates inside backward
        said["stale-parameters"] = ("keep the weights forward used (W = self.W) before the optimizer's update, and "
                                    "compute dx from them")
    if entry.options.get("param_gradients") == "mean":  # deeplearning.ai: the 1/m is on dW and db, not on dA_prev
        said["missing-batch-mean"] = ("in this course's convention dW and db are means over the m examples: "
                                      "dW = dZ @ A_prev.T / m, db = dZ.sum(axis=1, keepdims=True) / m")
        said["extra-batch-mean"] = ("divide dW and db by m once, and dA_prev = W.T @ dZ not at all: the 1/m of "
                                    "the mean cost is applied there")
    return said


def grad_names(layer: Layer, kind: Kind) -> dict[str, str]:
    """Display names of the gradients (`dx`, then `dW` or `dw` as the layer spells them)."""
    targets = (["x"] if kind.x_differentiable else []) + list(kind.params)
    return {t: grad_name(layer, t) for t in targets}
