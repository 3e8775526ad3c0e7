"""Whole models as the textbook's second volume writes them, found and fed: TwoLayerNet, SimpleCBOW, CBOW, SkipGram,
SimpleRnnlm, Rnnlm, BetterRnnlm, Seq2seq and its Peeky and Attention variants.

Such a model keeps its layers, gathers their parameters into `self.params` and their gradient arrays into
`self.grads` (lists, index for index), computes the loss in `forward(x, t)` (`forward(contexts, target)`,
`forward(xs, ts)`) and fills `self.grads` in place in `backward(dout=1)`. Three things stand between it and a
finite-difference check, each removed in its own module:
- its arrays are float32 (`.astype('f')`), and its time layers allocate float32 buffers (`np.empty(..., dtype='f')`)
  that round every hidden state: `gradlab.models.second_volume_float64` makes it compute in float64;
- one array may be several entries of `params` (CBOW's context layers share `W_in`; BetterRnnlm's output layer
  takes `embed_W.T`): `gradlab.models.second_volume_parameters` makes each array one parameter;
- its data is its own: word ids or one-hot rows, contexts or sequences (`data_encodings` here, tried in turn: the
  one its forward and backward run on is the one checked).
This module says whether a class is such a model (`is_second_volume`), walks the objects a built one holds
(`held_objects`), resets a stateful RNN language model before every evaluation (`fresh_state`) and makes its data.
Non-goal: judging (that is `gradlab.models.check`, as for every convention); calling it (`gradlab.models.adapters`).
"""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CONTEXTS", "PLAUSIBLE", "SEQUENCE_LENGTH", "WINDOW", "Encoding", "data_encodings", "fresh_state",
           "held_objects", "is_second_volume", "is_users_object", "plausible_labels", "recording_inputs",
           "class_loss_layer"]

#: the time steps of a sequence model's data (xs and ts are (N, T) word ids)
SEQUENCE_LENGTH = 3
#: the window of a word2vec model built by gradlab (`window_size`): contexts are 2 * WINDOW words
WINDOW = 1
#: how a word2vec model's forward names its context words: they are (N, 2 * window) ids, its targets (N,)
CONTEXTS = {"contexts", "context", "ctx", "contexts_ids"}

#: a class's code that gathers another object's parameters (`self.params += layer.params`): it holds layers
_GATHERS = re.compile(r"\b(?!self\b)[A-Za-z_]\w*\.params\b")


def is_second_volume(cls: type) -> bool:
    """Whether `cls` is a whole model in the second volume's convention: `forward` taking the data and its targets
    (two arguments without defaults), a `backward` callable with none (`dout=1`), no `loss` method, code that
    gathers its layers' `params`, and a name no layer kind has (the book's NegativeSamplingLoss gathers its
    EmbeddingDot layers' params too, but it is a layer, checked as one)."""
    from gradlab.kinds import kind_for_class

    try:
        klass: Any = cls
        forward = list(inspect.signature(klass.forward).parameters.values())[1:]
        backward = list(inspect.signature(klass.backward).parameters.values())[1:]
    except (AttributeError, TypeError, ValueError):
        return False
    required = [p for p in forward if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) != 2 or any(p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                                 for p in backward):
        return False
    if callable(getattr(cls, "loss", None)) or kind_for_class(cls.__name__) is not None:
        return False
    sources = []
    for k in cls.__mro__[:-1]:  # read method by method: the user's module has left sys.modules, a class's file with it
        for f in vars(k).values():
            try:
                sources.append(inspect.getsource(getattr(f, "__func__", f)))
            except (OSError, TypeError):
                continue
    return bool(_GATHERS.search("\n".join(sources)))


# -- the objects a built model holds ---------------------------------------------------------------------------------

def held_objects(root: Any) -> list[Any]:
    """`root` and the user's objects it holds, however deep (attributes, lists, tuples, dicts)."""
    out: list[Any] = []
    seen: set[int] = set()
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (list, tuple)):
            todo += list(obj)
        elif isinstance(obj, dict):
            todo += list(obj.values())
        elif is_users_object(obj):
            out.append(obj)
            todo += list(vars(obj).values())
    return out


def is_users_object(obj: Any) -> bool:
    """Whether `obj` is an object of the user's code (a layer, an encoder), not numpy's, gradlab's or Python's."""
    if isinstance(obj, (type, types.ModuleType, types.FunctionType, types.MethodType, np.ndarray, np.generic)):
        return False
    package = (type(obj).__module__ or "").split(".")[0]  # (the user's modules are gradlab_user_*: theirs)
    return hasattr(obj, "__dict__") and package not in ("numpy", "gradlab", "builtins")


def fresh_state(model: Any) -> None:
    """The model's state reset before an evaluation: its `reset_state()`, or, for a model without one, that of every
    layer it holds which has one (a stateful TimeLSTM would carry the last evaluation's hidden state into the next,
    and finite differences would see it move)."""
    reset = getattr(model, "reset_state", None)
    if callable(reset):
        reset()
        return
    for obj in held_objects(model)[1:]:
        reset = getattr(obj, "reset_state", None)
        if callable(reset):
            reset()


def class_loss_layer(model: Any) -> Any | None:
    """The one loss layer the model holds whose input is one score per class and whose labels are class ids or one-hot
    rows (the book's SoftmaxWithLoss, TimeSoftmaxWithLoss: a loss kind taking index labels); None when it holds none or
    several (SkipGram's one per context word). A negative-sampling or sigmoid loss takes no class ids: not one."""
    from gradlab.kinds import kind_for_class

    def scores_classes(obj: Any) -> bool:
        kind = kind_for_class(type(obj).__name__)
        return kind is not None and kind.is_loss and "index" in kind.label_encodings

    found = [o for o in held_objects(model)[1:] if callable(getattr(o, "forward", None)) and scores_classes(o)]
    return found[0] if len(found) == 1 else None


_MISSING = object()


@contextmanager
def recording_inputs(layer: Any) -> Iterator[list[tuple[Any, ...]]]:
    """The positional arguments of every call of `layer.forward` while the block runs, in a list filled as it runs
    (the instance's own forward is put back afterwards)."""
    calls: list[tuple[Any, ...]] = []
    own = vars(layer).get("forward", _MISSING)
    bound = layer.forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return bound(*args, **kwargs)

    layer.forward = forward
    try:
        yield calls
    finally:
        if own is _MISSING:
            del layer.forward
        else:
            layer.forward = own


# -- data -----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Encoding:
    """One way of giving a model its data: what it is called in reports, and the arrays by forward's argument."""

    said: str
    arrays: dict[str, np.ndarray]


def data_encodings(cls: type, *, N: int, D: int, C: int, vocab: int | None, rng: np.random.Generator,
                   input_shape: tuple[int, ...] | None = None) -> list[Encoding]:
    """The data to try `cls.forward(a, t)` with, in order. A model built from a vocabulary takes word ids: contexts
    (N, 2 * WINDOW) and target (N,) when its first argument is named so (CBOW, SkipGram), else sequences xs and ts
    (N, T) (the RNN language models, Seq2seq); the ch03 models take the same words as one-hot rows, tried next.
    Any other takes features x (N, D), or images of `input_shape`, and class ids t (N,) of C classes, then one-hot
    rows."""
    klass: Any = cls
    first, second = [p for p in list(inspect.signature(klass.forward).parameters)[1:]][:2]
    if vocab is None:  # (images (N, C, H, W) for a model built from an input_dim=(C, H, W), as a convnet is)
        x = rng.standard_normal((N, *(input_shape or (D,))))
        t = rng.integers(0, C, N)
        return [Encoding(f"x {x.shape}, t {t.shape} class ids", {first: x, second: t}),
                Encoding(f"x {x.shape}, t {(N, C)} one-hot", {first: x, second: np.eye(C)[t]})]
    if first.lower() in CONTEXTS:
        a, t = rng.integers(0, vocab, (N, 2 * WINDOW)), rng.integers(0, vocab, N)
    else:
        a, t = rng.integers(0, vocab, (N, SEQUENCE_LENGTH)), rng.integers(0, vocab, (N, SEQUENCE_LENGTH))
    one_hot = np.eye(vocab)
    return [Encoding(f"{first} {a.shape}, {second} {t.shape} word ids of {vocab}", {first: a, second: t}),
            Encoding(f"{first} {(*a.shape, vocab)}, {second} {(*t.shape, vocab)} one-hot", {first: one_hot[a],
                                                                                           second: one_hot[t]})]


#: a label is drawn among the classes the model gives at least this share of 1 / C (see `plausible_labels`)
PLAUSIBLE = 0.1


def plausible_labels(scores: Any, t: np.ndarray, rng: np.random.Generator) -> np.ndarray | None:
    """Labels `t` drawn again among the classes the model's own scores do not call nearly impossible (softmax
    probability at least PLAUSIBLE / C), in `t`'s encoding (ids, or one-hot rows); None when the scores are not one
    score per class of each label. The book's cross_entropy_error takes log(p + 1e-7), which its gradient (p - t)
    leaves out: inexact by about 1e-7 / p, which a model initialised with randn weights (p of 1e-4 for a random
    label) turns into a false failure. A label the model gives p >= 0.1 / C keeps that below 1e-5 relative."""
    s = np.asarray(scores, dtype=np.float64)
    ids = t.ndim == s.ndim - 1 and s.shape[:-1] == t.shape
    one_hot = t.shape == s.shape and t.ndim >= 1
    if not (ids or one_hot) or not s.size or not np.all(np.isfinite(s)):
        return None
    C = s.shape[-1]
    flat = s.reshape(-1, C)
    p = np.exp(flat - flat.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    drawn = np.array([rng.choice(np.flatnonzero(row >= PLAUSIBLE / C)) for row in p])
    if ids:
        return drawn.reshape(t.shape).astype(t.dtype)
    return np.eye(C, dtype=t.dtype)[drawn].reshape(t.shape)
