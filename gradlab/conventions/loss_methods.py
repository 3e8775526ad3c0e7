"""An output layer that holds its loss: `forward(x)` gives the probabilities, `loss(y)` the loss, `backward()` dx.

Learners' networks end in a layer such as `SoftmaxLayer` whose forward computes the softmax alone, a method of its
own (`loss(y)`, `compute_loss(labels)`, `cost(y)`) the cross-entropy of what forward kept, and whose backward takes
no upstream gradient: it is the gradient of that loss with respect to forward's input, `(p - y) / N`. Named like
its activation, it was given an upstream gradient gradlab's activation check hands backward, and crashed. Such a
class is the activation combined with its loss (`combined_kind`), and is run as one: forward(x), then the loss
method on the labels (`gradlab.conventions.class_style`); its backward is called with nothing, or with the labels
where it takes them alone.
Non-goal: a loss method that takes the predictions again (`loss(p, y)`): that is a loss function of its own.
"""

from __future__ import annotations

from typing import Any

from gradlab.conventions.calling import signature
from gradlab.kinds import Kind, kind_for_class

__all__ = ["LOSS_METHODS", "combined_kind", "loss_method"]

#: what such a layer calls its loss method
LOSS_METHODS = ("loss", "compute_loss", "get_loss", "calculate_loss", "cost", "compute_cost", "loss_fn")


def _required(fn: Any) -> list[str] | None:
    """The names of `fn`'s required positional arguments (self aside for a bound method), or None where unreadable."""
    try:
        params = signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    return names[1:] if names[:1] == ["self"] else names


def loss_method(cls: Any) -> str | None:
    """The name of `cls`'s loss method when `cls` is an output layer holding its loss: forward takes one array,
    the loss method the labels alone, and backward no upstream gradient (nothing, or the labels); None otherwise."""
    forward, backward = getattr(cls, "forward", None), getattr(cls, "backward", None)
    if not callable(forward) or not callable(backward) or len(_required(forward) or ()) != 1:
        return None
    takes = _required(backward)
    if takes is None or len(takes) > 1 or takes and takes[0].lower() not in ("y", "t", "labels", "target", "targets",
                                                                              "y_true", "label", "y_batch"):
        return None
    for name in LOSS_METHODS:
        method = getattr(cls, name, None)
        if callable(method) and len(_required(method) or ()) == 1:
            return name
    return None


def combined_kind(kind: Kind) -> Kind | None:
    """The kind of `kind`'s activation combined with its loss (a softmax's softmax-with-loss), or None."""
    if kind.is_loss:
        return None
    return next((k for k in (kind_for_class(f"{n}withloss") for n in kind.class_names) if k is not None), None)
