"""Where a class-style layer leaves its results, and how a class-style loss takes its arguments.

A forward or backward that returns nothing and stores its result (the "Neural Networks from Scratch" book's
`self.output`, `self.dinputs`); an update made inside backward that is an adaptive optimizer's step, from which
no gradient can be read; a loss that names its labels first (`forward(y_true, y_pred)`), or returns one loss per
sample (nnfs's `forward` with `calculate` taking their mean).
Non-goal: calling the layer (that is `gradlab.conventions.class_style`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.conventions.calling import signature

__all__ = ["DX_ATTRIBUTES", "LABEL_NAMES", "LOSS_ATTRIBUTES", "OUTPUT_ATTRIBUTES", "PreviousLayer", "adaptive_step",
           "as_samples", "attributes_before", "in_named_order", "left_in_attribute", "mean_of_sample_losses",
           "predictions_then_labels", "previous_layer_argument", "required_count", "scalar_left_in_attribute"]

#: where a forward that returns nothing leaves its output, and a backward its dx (the nnfs book's convention)
OUTPUT_ATTRIBUTES = ("output", "out", "outputs")
DX_ATTRIBUTES = ("dinputs", "dinput", "d_inputs", "dx", "dX", "grad_input", "input_gradient", "dInputs", "dInput",
                 "dvalues")


#: where a loss whose forward returns nothing leaves the loss itself (next to the predictions it also keeps in
#: `self.output`: a learner's softmax-and-cross-entropy class storing `self.loss_value`)
LOSS_ATTRIBUTES = ("loss_value", "loss", "data_loss", "cost", "loss_val")


def scalar_left_in_attribute(obj: Any, before: dict[str, Any]) -> np.ndarray | None:
    """The number a call that returned nothing stored in one of the attributes of `before` (a new value), as a 0-d
    array; None when it stored none."""
    for name, seen in before.items():
        value = getattr(obj, name, None)
        if value is not seen and isinstance(value, (float, int, np.generic, np.ndarray)) and np.ndim(value) == 0 \
                and not isinstance(value, bool):
            return np.asarray(value, dtype=float)
    return None


def attributes_before(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """`obj`'s attributes `names` before a call (held, not their ids: a freed array's id can come back)."""
    return {n: getattr(obj, n, None) for n in names}


def left_in_attribute(obj: Any, before: dict[str, Any]) -> np.ndarray | None:
    """The array a call that returned nothing stored in one of the attributes of `before`: a new array (nnfs's
    `self.output = ...`, `self.dinputs = ...`), not one left from an earlier call. None when it stored none,
    so that a template's `pass` stays "returned None"."""
    for name, seen in before.items():
        value = getattr(obj, name, None)
        if isinstance(value, np.ndarray) and value is not seen:
            return value
    return None


#: the names a loss gives its labels, when it takes them first (`forward(y_true, y_pred)`); a first `y` counts only
#: before a prediction's name, since the textbook's losses call their predictions y (`forward(y, t)`)
LABEL_NAMES = ("y_true", "t", "target", "targets", "label", "labels", "y_actual", "actual", "truth")
_PREDICTION_NAMES = ("y_pred", "pred", "preds", "prediction", "predictions", "y_hat", "yhat", "output", "outputs", "p",
                     "probs", "y_predicted", "a", "al")


def in_named_order(fn: Any, x: np.ndarray, t: np.ndarray | None) -> tuple[Any, ...]:
    """(x, t), or (t, x) when `fn`'s first argument is named as labels (`forward(y_true, y_pred)`)."""
    try:
        names = [p.name.lower() for p in signature(fn).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return x, t
    labels_first = bool(names) and (names[0] in LABEL_NAMES or
                                    names[0] == "y" and len(names) > 1 and names[1] in _PREDICTION_NAMES)
    return (t, x) if labels_first else (x, t)


def predictions_then_labels(fn: Any) -> bool:
    """Whether `fn`'s first two arguments are named as predictions, then labels (`backward(y_pred, y_true=None)`,
    a learner's nnfs-style loss whose labels default to the ones forward kept): it takes the loss's inputs, not an
    upstream gradient, though only one of them is required."""
    try:
        names = [p.name.lower() for p in signature(fn).parameters.values()
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len(names) >= 2 and names[0] in _PREDICTION_NAMES and names[1] in LABEL_NAMES


#: the labels as an array's name says it (FAU's deep-learning exercises: `label_tensor`)
_LABEL_ARRAY_NAMES = LABEL_NAMES + ("label_tensor", "labels_tensor", "target_tensor", "y")


def labels_only(fn: Any) -> bool:
    """Whether a loss's `fn` takes the labels alone, by name (`backward(self, label_tensor)`, the FAU deep-learning
    exercises' CrossEntropyLoss, whose predictions forward kept): it takes no upstream gradient."""
    try:
        params = [p for p in signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    required = [p for p in params if p.default is p.empty]
    return len(required) == 1 and params[0] is required[0] and params[0].name.lower() in _LABEL_ARRAY_NAMES


#: how a stateless layer names the input it is given again in `backward(x, top_diff)`, and the upstream gradient
_INPUT_NAMES = ("x", "inputs", "input", "z", "a", "x_in", "input_data")
_UPSTREAM_NAMES = ("top_diff", "dout", "dy", "dz", "grad", "grad_output", "grad_out", "delta", "dvalues", "d_out",
                   "output_gradient", "output_grad", "upstream", "upstream_grad", "diff", "error", "err", "da",
                   # dL/dY spelled out (a numpy transformer's ReLU.backward(x, dLdY); CMU 11-785's dLdA, dLdZ)
                   "dldy", "dl_dy", "dlda", "dldz", "dldout")


def input_then_gradient(fn: Any) -> bool:
    """Whether `fn` is a backward given the forward's input again, then the upstream gradient: `backward(x,
    top_diff)`, the activations of a popular RNN-from-scratch tutorial, which keep nothing between the two calls."""
    try:
        params = [p for p in signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):
        return False
    return len(params) == 2 and params[0].name.lower() in _INPUT_NAMES and params[1].name.lower() in _UPSTREAM_NAMES


#: how a backward names the layer before it, whose output it reads as its own input (`backward(d_prev, prev_layer)`)
_PREVIOUS_LAYER_NAMES = ("prev_layer", "previous_layer", "layer_prev", "prev_l", "input_layer", "prev")


class PreviousLayer:
    """What `backward(d_prev, prev_layer)` reads of the layer before it: its output, this layer's input."""

    def __init__(self, output: np.ndarray | None):
        self.output = output
        self.A = self.activations = self.out = output


def previous_layer_argument(fn: Any) -> bool:
    """Whether `fn` is a backward given the upstream gradient, then the layer before it (a from-scratch collection's
    pooling and flatten layers read `prev_layer.output` for their input)."""
    try:
        params = [p for p in signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    return len(params) >= 2 and params[1].name.lower() in _PREVIOUS_LAYER_NAMES


def required_count(fn: Any) -> int:
    try:
        return sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                   for p in signature(fn).parameters.values())
    except (TypeError, ValueError):
        return 0


def as_samples(obj: Any, x: np.ndarray, t: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """x and t as (samples, outputs) for an nnfs loss (one with `calculate`, or a backward taking the predictions and
    then the labels), whose code reads the number of outputs as len(dvalues[0]) or y_pred.shape[1]: the data that
    book's losses take; anything else as it is."""
    nnfs = callable(getattr(obj, "calculate", None)) or predictions_then_labels(getattr(obj, "backward", None))
    if not nnfs or x.ndim <= 2:
        return x, t
    flat_t = t.reshape(len(t), -1) if t is not None and t.shape == x.shape else t
    return x.reshape(len(x), -1), flat_t


def mean_of_sample_losses(obj: Any, out: Any, x: np.ndarray) -> Any:
    """The nnfs book's loss: forward returns one loss per sample and its `calculate` takes their mean, which is the
    loss its backward differentiates (it divides by the number of samples); any other return is left as it is."""
    # one loss per element (a binary cross-entropy left unreduced) is reduced by `calculate` the same way
    if isinstance(out, np.ndarray) and 1 <= out.ndim <= x.ndim and out.shape == x.shape[:out.ndim] and \
            callable(getattr(obj, "calculate", None)):
        return np.mean(out)
    return out


def adaptive_step(update: np.ndarray, dout: np.ndarray) -> bool:
    """Whether an update made at learning rate 1 changed every element it changed by 1 in size, for an upstream
    gradient of varied sizes: an adaptive optimizer's first step (Adam's m̂/√v̂ is ±1 for each element), not a
    gradient. (With a one-hot or ±1 upstream gradient, as a Jacobian's rows are read, a gradient can be ±1.)"""
    sizes = np.abs(np.asarray(dout, dtype=float))
    if np.unique(np.round(sizes[sizes > 0], 12)).size < 2:
        return False
    moved = np.abs(np.asarray(update, dtype=float))
    moved = moved[moved > 0]
    return moved.size > 0 and bool(np.all(moved <= 1 + 1e-9)) and bool(np.median(moved) > 1 - 1e-3)
