"""What a class-style layer's methods take, read from their signatures before gradlab calls them.

Whether backward takes forward's cache, a learning rate, or a training flag; whether forward requires an argument
gradlab cannot give; whether a class built from its sizes keeps no array at all (a parameter-free namesake of a
parametrised kind). `gradlab.conventions.class_style` decides from these how to call the layer; they are kept apart
from it because they only read signatures and attributes and never call the layer's code. Non-goal: calling the
layer (that is `gradlab.conventions.class_style`).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from gradlab.conventions.calling import ConventionMismatch, signature
from gradlab.conventions.class_construction import LR_NAMES, SIZE_AND_HYPER_NAMES
from gradlab.kinds import Kind

__all__ = ["TRAIN_FLAGS", "cache_argument", "forward_takes_what_gradlab_gives", "holds_no_array", "keeps_no_array",
           "learning_rate_argument", "only_varargs", "parameter_names"]

#: names of forward's cache as backward's argument
CACHE_NAMES = ("cache", "caches", "ctx", "context")
#: names of forward's (and backward's) training flag, which gradlab passes as True
TRAIN_FLAGS = ("train_flg", "train_flag", "train", "training", "is_training")


def forward_takes_what_gradlab_gives(obj: Any, kind: Kind) -> None:
    """Raises ConventionMismatch (not checked, not failed) when forward requires an argument gradlab cannot give:
    a learner's `ELU.forward(X, α)` takes its slope at each call, where a course's ELU is built with it."""
    try:
        params = [p for p in signature(obj.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return
    # a recurrent step's forward also takes its previous states (`Kind.forward_inputs`), which gradlab passes
    given = (2 if kind.is_loss or kind.forward_takes_t else 1) + len(kind.forward_inputs)
    extra = [p.name for p in params[given:] if p.default is p.empty and p.name not in TRAIN_FLAGS]
    if extra:
        name = type(obj).__name__
        them = "it" if len(extra) == 1 else "them"
        raise ConventionMismatch(
            f"{name}.forward also requires {', '.join(extra)}, which gradlab does not pass (it calls "
            f"forward({'x, t' if given == 2 else 'x'})): give {them} a default value, or check {name} with "
            "gradlab.assert_backward")



def only_varargs(fn: Any) -> bool:
    """Whether `fn` takes only `*args` (and `**kwargs`)."""
    try:
        params = list(signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    return any(p.kind is p.VAR_POSITIONAL for p in params) and \
        all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params)


def cache_argument(obj: Any) -> bool:
    """Whether backward takes forward's cache after dout: `backward(dout, cache)`, a CS231n function pair written as a
    class whose forward returns `(out, cache)`. Raises ConventionMismatch (not checked, not failed) for a backward that
    takes a cache among other arguments gradlab cannot give (a library's `backward(x, cache, grad, gradients)`)."""
    try:
        params = [p for p in signature(obj.backward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    names = [p.name.lower() for p in params]
    if not any(n in CACHE_NAMES for n in names):
        return False
    required = [p.name for p in params if p.default is p.empty]
    if len(required) == 2 and names[1] in CACHE_NAMES:
        return True
    name = type(obj).__name__
    raise ConventionMismatch(
        f"{name}.backward({', '.join(p.name for p in params)}) takes forward's cache among arguments gradlab does not "
        "give (it calls backward(dout), or backward(dout, cache) after a forward returning (out, cache)): not "
        f"checked; check {name} with gradlab.assert_backward")


def parameter_names(fn: Any) -> set[str]:
    try:
        return set(signature(fn).parameters)
    except (TypeError, ValueError):
        return set()


def learning_rate_argument(backward: Any) -> bool:
    """Whether backward takes a learning rate after dout (`backward(grad, learning_rate)`)."""
    try:
        params = [p for p in signature(backward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return False
    if len(params) < 2:
        return False
    second = params[1]
    if second.name.lower() in CACHE_NAMES:  # backward(dout, cache): forward's cache, not a learning rate
        return False
    return second.name.lower() in LR_NAMES or (second.default is second.empty and len(params) == 2)


def keeps_no_array(obj: Any, cls: type) -> bool:
    """Whether the built layer holds no parameter at all where its kind has some, and was given none: its
    constructor requires no argument but sizes, and no attribute (nor a params/parameters store) holds an array or a
    list of them. Such a class shares a parametrised kind's name without being one (nnfs-style libraries'
    `Linear` activation, a LayerNorm without gamma and beta); a layer given W that forgot to keep it is not."""
    try:
        required = [p for p in inspect.signature(cls).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # a builtin's __init__: nothing of the user's was required
        required = []
    # sizes and hyper-parameters (Conv2D(n_filters, kernel_size), built from the case's) give the layer no array
    if any(p.name.lower() not in SIZE_AND_HYPER_NAMES for p in required):
        return False
    return holds_no_array(obj)


def holds_no_array(obj: Any) -> bool:
    """Whether no attribute of the built layer (nor a dict, list or tuple it keeps) holds a non-empty array."""
    for value in vars(obj).values() if hasattr(obj, "__dict__") else ():
        items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, np.ndarray) and v.size for v in items):
            return False
    return True
