"""Calling a model in its own convention: its parameters as named live arrays, its loss, its gradients.

- CS231n: `model.params[name]`, `model.loss(X, y) -> (loss, grads)`, X (N, D) or (N, C, H, W), y class indices;
- the textbook: `net.params[name]`, `net.loss(x, t)` (with `train_flg=True` where it takes one, as its
  `gradient` does), `net.gradient(x, t) -> grads`; t class indices, or one-hot when the net takes only those;
- Nielsen: `net.weights[i]`, `net.biases[i]`, `net.backprop(x, y) -> (nabla_b, nabla_w)` for one sample, its
  cost that of `net.feedforward(x)` (read as its spellings and ports write them by `gradlab.models.nielsen`);
- the second volume: `model.params` list, `model.forward(x, t)` (after `reset_state()` where it has one) the loss,
  `model.grads` after `model.backward()`; the model made float64 (`gradlab.models.second_volume_float64`), its data
  found by `gradlab.models.second_volume`, entries of `params` that are one array judged as one parameter
  (`gradlab.models.second_volume_parameters`).
Every call runs with numpy's global random state seeded the same way (and put back afterwards), so
dropout draws the same mask in every evaluation. Parameters are the model's own arrays: perturbed in
place by the checker, they are what the model computes with.
Non-goal: judging anything (that is `gradlab.models.check`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from gradlab.models.build import REG, REGULARISATION, Sizes
from gradlab.models.errors import ModelError, NoDataRuns, NotImplementedYet
from gradlab.models.nielsen import (
    BACKPROP_NAMES,
    FEEDFORWARD_NAMES,
    backprop_of,
    nielsen_gradients,
    nielsen_loss,
    nielsen_parameters,
)
from gradlab.models.second_volume import (
    Encoding,
    class_loss_layer,
    data_encodings,
    fresh_state,
    is_second_volume,
    plausible_labels,
    recording_inputs,
)
from gradlab.models.second_volume_float64 import in_float64, promote_to_float64, user_namespaces
from gradlab.models.second_volume_parameters import SharedParameter, owners, rebound, shared_parameters
from gradlab.models.tiny_weights import scale_up_tiny

__all__ = ["CONVENTIONS", "ModelCall", "adapt", "backprop_order", "convention_of", "parameters_of", "seeded"]

#: convention -> how it is said in reports
CONVENTIONS = {"cs231n": "CS231n model", "textbook": "textbook model", "nielsen": "Nielsen-style network",
               "volume2": "second-volume model"}
#: numpy's global seed during every call of the model
CALL_SEED = 1234


def convention_of(cls: type) -> str | None:
    """"nielsen", "textbook" or "cs231n" by the methods the class has; None for anything else."""
    def has(m: str) -> bool:
        return callable(getattr(cls, m, None))

    if any(has(m) for m in BACKPROP_NAMES) and any(has(m) for m in FEEDFORWARD_NAMES):
        return "nielsen"
    if has("loss") and has("gradient"):
        return "textbook"
    if has("loss"):
        return "cs231n"
    if has("forward") and has("backward") and is_second_volume(cls):
        return "volume2"
    return None


@contextmanager
def seeded(seed: int | list[int] = CALL_SEED) -> Iterator[None]:
    """numpy's global random state seeded for a block (models draw weights and masks from it), then put back."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


@dataclass
class ModelCall:
    """One built model with its data: `params` (backprop order), `loss()`, `gradients()`."""

    convention: str
    model: Any
    params: dict[str, np.ndarray]
    #: how the user's code names each parameter's gradient: grads['W1'], nabla_w[0]
    grad_names: dict[str, str]
    N: int
    data: dict[str, np.ndarray]
    options: dict[str, Any] = field(default_factory=dict)
    #: a second-volume model's arrays (entries of its params list that are one array, `second_volume`)
    shared: list[SharedParameter] = field(default_factory=list)
    #: the namespaces whose numpy reads float32 as float64 while a second-volume model runs
    spaces: list[dict[str, Any]] = field(default_factory=list)
    #: the data a second-volume model is given (word ids, one-hot rows), as reports say it
    encoding: Encoding | None = None
    #: a second-volume model's parameters whose layer replaced its gradient array in backward (`second_volume.rebound`)
    rebound: dict[str, str] = field(default_factory=dict)
    #: weight arrays drawn tiny and scaled up for the check, {name: (RMS drawn, RMS checked)} (`tiny_weights`)
    scaled: dict[str, tuple[float, float]] = field(default_factory=dict)

    def loss(self) -> Any:
        if self.convention == "volume2":
            return self._forward()
        with seeded():
            if self.convention == "nielsen":
                return nielsen_loss(self.model, self.data["x"], self.data["y"])
            out = self.model.loss(self.data["X"], self.data["y"], **self.options)
        if self.convention == "cs231n":
            if out is None:  # a template's body is still `pass`: the checker says "not implemented yet"
                return None
            if not (isinstance(out, tuple) and len(out) == 2):
                raise ModelError(f"model.loss(X, y) returned {type(out).__name__}, not (loss, grads): a CS231n model "
                                 "returns both when y is given")
            return out[0]
        return out

    def _forward(self) -> Any:
        """A second-volume model's loss: forward(x, t) from a fresh state (reset_state() of a stateful RNN)."""
        with seeded(), in_float64(self.spaces):
            fresh_state(self.model)
            return self.model.forward(*self.data.values(), **self.options)

    def scores(self) -> tuple[np.ndarray, np.ndarray]:
        """(the scores of the model's predict on the data, float64; the labels), for the textbook's conventions. A
        model without predict (the second volume's SimpleCBOW): the scores its loss gives its loss layer of class scores
        (a SoftmaxWithLoss, `second_volume.class_loss_layer`), with the labels it gives it (a `ModelError` when it
        holds no such layer, or gives it other labels)."""
        first, second = list(self.data) if self.convention == "volume2" else ["X", "y"]
        if callable(getattr(self.model, "predict", None)):
            with seeded(), in_float64(self.spaces):
                if self.convention == "volume2":
                    fresh_state(self.model)
                return np.asarray(self.model.predict(self.data[first]), dtype=np.float64), self.data[second]
        layer = class_loss_layer(self.model)
        if layer is None:
            raise ModelError(f"{type(self.model).__name__} has no predict and no one loss layer of class scores")
        with recording_inputs(layer) as calls:
            self.loss()
        if len(calls) != 1 or len(calls[0]) < 2 or not np.array_equal(calls[0][1], self.data[second]):
            raise ModelError(f"{type(self.model).__name__}'s loss layer is not given its {second} once")
        return np.asarray(calls[0][0], dtype=np.float64), self.data[second]

    def gradients(self) -> dict[str, Any]:
        if self.convention == "volume2":
            self._forward()
            with seeded(), in_float64(self.spaces):
                self.model.backward()
            grads = getattr(self.model, "grads", None)
            if not isinstance(grads, list):
                raise ModelError(f"{type(self.model).__name__}.grads is {type(grads).__name__} after backward(), not "
                                 "the list of gradients, index for index with params")
            copied = [np.array(g, dtype=np.float64) if isinstance(g, np.ndarray) else g for g in grads]
            replaced = rebound(self.model)
            self.rebound = {s.name: replaced[i] for s in self.shared for i, _ in s.entries if i in replaced}
            return {s.name: s.gradient(copied) for s in self.shared}
        with seeded():
            if self.convention == "cs231n":
                grads = self.model.loss(self.data["X"], self.data["y"], **self.options)[1]
            elif self.convention == "textbook":
                grads = self.model.gradient(self.data["X"], self.data["y"])
            else:
                return nielsen_gradients(backprop_of(self.model)(self.data["x"], self.data["y"]), self.model)
        if not isinstance(grads, dict):
            raise ModelError(f"the gradients came back as {type(grads).__name__}, not a dict keyed like params")
        return {k: grads.get(_key_of(grads, k)) for k in self.params}


def parameters_of(convention: str, model: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(the model's own parameter arrays by name, in backprop order; how its code names each gradient),
    or a `ModelError` saying where its convention keeps them."""
    if convention == "volume2":
        return _second_volume_parameters(model)
    if convention == "nielsen":
        return nielsen_parameters(model)
    found = getattr(model, "params", None)
    if found is None and isinstance(getattr(model, "parameters", None), dict):  # a learner's self.parameters = {...}
        found = model.parameters
    if isinstance(found, dict) and not found:
        raise NotImplementedYet(f"not implemented yet: {type(model).__name__}.params is empty after it is built (fill "
                                "in the TODO of its constructor)")
    if not isinstance(found, dict) or not found:
        raise ModelError(f"{type(model).__name__} has no params dict after it is built: a {CONVENTIONS[convention]} "
                         "keeps its parameters in self.params")
    live = {_spelled(k): v for k, v in found.items()
            if isinstance(v, np.ndarray) and np.issubdtype(v.dtype, np.floating)}
    order = backprop_order(list(live))
    return {k: live[k] for k in order}, {k: f"grads[{_key_of(found, k)!r}]" for k in order}


def _second_volume_parameters(model: Any) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    found = getattr(model, "params", None)
    if isinstance(found, list) and not found:
        raise NotImplementedYet(f"not implemented yet: {type(model).__name__}.params is empty after it is built "
                                "(gather its layers' params into it)")
    if not isinstance(found, list):
        raise ModelError(f"{type(model).__name__}.params is {type(found).__name__} after it is built: a second-volume "
                         "model gathers its layers' parameters into the list self.params (and their gradients into "
                         "self.grads)")
    shared = shared_parameters(found)
    if not shared:
        raise ModelError(f"{type(model).__name__}.params holds no float arrays after it is built")
    order = list(reversed(shared))  # forward order gathered: backprop visits the last layer first
    held = owners(model)
    # the sentences name the layer too: `grads[3] (the TimeRNN's params[2])`
    said = {s.name: s.grad_name + (f" ({held[id(found[s.entries[0][0]])]})" if id(found[s.entries[0][0]]) in held
                                   else "") for s in order}
    return {s.name: s.array for s in order}, said


def _spelled(key: Any) -> str:
    """A params key as the report names it: a learner's tuple key ('W', 2) reads W2; a string stays itself."""
    return key if isinstance(key, str) else "".join(map(str, key)) if isinstance(key, tuple) else repr(key)


def _key_of(params: dict[Any, Any], name: str) -> Any:
    """The model's own key of the parameter reported as `name` (the tuple ('W', 2) for W2)."""
    return next((k for k in params if _spelled(k) == name), name)


#: the scale of the textbook convention's data (see `adapt`)
TEXTBOOK_DATA_SCALE = 0.1


def adapt(convention: str, model: Any, sizes: Sizes, rng: np.random.Generator) -> ModelCall:
    """The built `model` with data of `sizes`, ready to call; `ModelError` when its parameters are missing."""
    if convention == "volume2":
        return _second_volume_call(model, sizes, rng)
    params, names = parameters_of(convention, model)
    scaled = scale_up_tiny(params, rows_in=convention != "nielsen")
    if convention == "nielsen":
        x = rng.standard_normal((sizes.D, 1))
        one_hot = np.zeros((sizes.C, 1))
        one_hot[int(rng.integers(0, sizes.C))] = 1.0
        return ModelCall("nielsen", model, params, names, 1, {"x": x, "y": one_hot}, scaled=scaled)
    X = rng.standard_normal((sizes.N, *sizes.input_shape))
    if convention == "textbook":
        # its cross_entropy_error takes log(y + 1e-7), which its gradient (y - t) / N leaves out: inexact by
        # about 1e-7 / p for a true class of probability p. Small data keeps the logits small and p near 1 / C,
        # as the textbook's own gradient_check does with its 0.01-scaled weights
        X *= TEXTBOOK_DATA_SCALE
    y = rng.integers(0, sizes.C, sizes.N)
    call = ModelCall(convention, model, params, names, sizes.N, {"X": X, "y": y}, scaled=scaled)
    # assignment 1's loss(X, y=None, reg=0.0), a learner's loss(X, y, *, regularization_strength=0.0)
    reg = next((n for n in _parameters(model.loss) if n.lower() in REGULARISATION), None)
    if convention == "cs231n" and reg is not None:
        call.options[reg] = REG
    if convention == "textbook":
        # the book's train_flg, or a learner's own spelling of it (Sai628's copy writes train_flag)
        flag = next((n for n in _parameters(model.loss) if n in _TRAIN_FLAGS), None)
        if flag is not None:
            call.options[flag] = True
        call.data["y"] = _labels_it_takes(call, y, sizes.C)
    return call


def _second_volume_call(model: Any, sizes: Sizes, rng: np.random.Generator) -> ModelCall:
    """A second-volume model made float64 (`second_volume.promote_to_float64`), with the first data encoding its
    forward and backward run on (word ids, then one-hot rows). When none runs, the first encoding stays: the
    check then says what its loss or backward raised."""
    promote_to_float64(model)
    params, names = parameters_of("volume2", model)
    order = [s for name in params for s in shared_parameters(model.params) if s.name == name]
    call = ModelCall("volume2", model, params, names, sizes.N, {}, shared=order, spaces=user_namespaces(model),
                     scaled=scale_up_tiny(params))  # (before its labels are drawn: they follow its scores)
    encodings = data_encodings(type(model), N=sizes.N, D=sizes.D, C=sizes.C, vocab=_vocabulary(model, sizes),
                               rng=rng, input_shape=sizes.input_shape)
    if "train_flg" in _parameters(model.forward):  # BetterRnnlm: dropout on, its masks drawn alike at every call
        call.options["train_flg"] = True
    runs: list[Encoding] = []  # the encodings its forward runs on
    raised: list[str] = []
    for encoding in encodings:
        call.data, call.encoding = dict(encoding.arrays), encoding
        try:
            call.loss()
        except Exception as exc:  # noqa: BLE001 - the next encoding
            raised.append(f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]} on {encoding.said}")
            continue
        runs.append(encoding)
        _with_plausible_labels(call, rng)
        try:
            call.gradients()
            return call
        except Exception:  # noqa: BLE001 - the next encoding, or the check says what backward raised
            continue
    if not runs:  # data gradlab cannot make, or a forward that is wrong: either way nothing to differentiate
        raise NoDataRuns(f"not checked: its forward runs on no data gradlab makes ({'; '.join(raised)}); run "
                          f"{type(model).__name__}.forward by hand on its data, or check its layers on their own")
    call.data, call.encoding = dict(runs[0].arrays), runs[0]
    return call


def _with_plausible_labels(call: ModelCall, rng: np.random.Generator) -> None:
    """The labels of `call` drawn again among the classes its model's scores do not call nearly impossible
    (`second_volume.plausible_labels`), where its predict, or the input of its loss layer of class scores, gives
    scores that fit them (`ModelCall.scores`); else left as drawn."""
    if len(call.data) != 2:
        return
    try:
        scores, labels = call.scores()
    except Exception:  # noqa: BLE001 - a predict that does not take the data as forward does: labels as drawn
        return
    second = list(call.data)[1]
    drawn = plausible_labels(scores, labels, rng)
    if drawn is not None:
        call.data[second] = drawn
        call.encoding = replace(call.encoding, said=call.encoding.said + ", labels the model finds plausible") \
            if call.encoding is not None else None


def _vocabulary(model: Any, sizes: Sizes) -> int | None:
    """The vocabulary a model was built with (`vocab_size`), or None for one of features and classes."""
    from gradlab.models.build import VOCAB_SIZES

    try:
        names = {n.lower() for n in inspect.signature(type(model)).parameters}
    except (TypeError, ValueError):
        return None
    return sizes.vocab if names & VOCAB_SIZES else None


def _labels_it_takes(call: ModelCall, y: np.ndarray, C: int) -> np.ndarray:
    """Class indices, or one-hot rows when the net's loss or its gradients raise on indices (the textbook's
    chapter-4 TwoLayerNet takes indices in its loss and only one-hot rows in `(y - t) / batch_num`)."""
    try:
        call.loss()
        call.gradients()
        return y
    except (Exception, SystemExit):  # SystemExit too: a net's predict calling exit() must not end the checker
        return np.eye(C)[y]


#: a textbook loss's keyword for training mode (dropout on, batch statistics): the book's, then learners' spellings
_TRAIN_FLAGS = ("train_flg", "train_flag", "training", "train", "is_training")


def _parameters(fn: Any) -> list[str]:
    try:
        return list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return []


_INDEX = re.compile(r"^(?P<stem>.*?)(?P<index>\d+)$")
_NORM = ("gamma", "beta")


def backprop_order(names: list[str]) -> list[str]:
    """The order backprop visits parameters: the highest layer number first; within one number, the
    operation used last in forward first (batch norm's gamma, beta before the affine's W, b), each
    operation's own parameters as the model lists them. Names without a number come last."""
    def key(item: tuple[int, str]) -> tuple[int, int, int]:
        position, name = item
        m = _INDEX.match(_spelled(name))
        if m is None:
            return (1, 0, position)
        later_op = 0 if m["stem"].lower().startswith(_NORM) else 1
        return (0, -int(m["index"]), later_op * 10_000 + position)

    return [name for _, name in sorted(enumerate(names), key=key)]
