"""Layers of the numpy deep-learning libraries people learn from, in those libraries' own conventions.

ML-From-Scratch writes `Dense(n_units, input_shape=(d,))` sized by `set_input_shape(shape)`, given an
optimizer by `initialize(optimizer)`, run by `forward_pass(X, training=True)` and
`backward_pass(accum_grad)`, which updates the weights itself (`self.W = self.W_opt.update(self.W,
grad_w)`). numpy-ml writes `FullyConnected(n_out)`, sized at its first forward, parameters and
gradients in `parameters` / `gradients` dicts, gradients accumulated with `+=` and inputs kept in a
list until `flush_gradients()`. `LibraryLayer` builds such a layer with the case's sizes, hands it a
plain SGD whose learning rate is 1 (so the update it makes is the gradient, as for `backward(grad,
lr)`: `gradlab.conventions.class_style`), puts gradlab's arrays in place of the weights it drew, and
before each call clears what the library accumulates (its kept inputs, its gradients).
Extra keyword arguments (`retain_derived`, `retain_grads`) are left at their defaults.
Non-goal: the library's own training loop or optimizers (its Adam is never run).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from gradlab.conventions.calling import (
    ConventionMismatch,
    RandomStateKeeper,
    accepts,
    as_array,
    call,
    crash_report,
    signature,
)
from gradlab.conventions.class_construction import SIZE_NAMES
from gradlab.conventions.class_slots import Slot, find_slot
from gradlab.conventions.class_style import ClassLayer
from gradlab.core.protocol import LayerSignatureError
from gradlab.kinds import Case, Kind

__all__ = ["LIBRARY_METHODS", "ConventionMismatch", "LibraryLayer", "PlainSGD", "is_library_class"]

#: methods that say a class follows a library's conventions rather than a course's
LIBRARY_METHODS = ("forward_pass", "set_input_shape", "initialize", "flush_gradients", "_init_params")
_TRAIN_FLAGS = ("training", "train", "is_training", "train_flg")
#: constructor arguments, by role: the output size, the input shape, a window, and hyper-parameters
_OUT = ("n_units", "units", "n_out", "out_ch", "n_filters", "filters", "num_filters", "output_dim", "n_outputs",
        "units_curr", "units_out")
_IN_SHAPE = ("input_shape", "in_shape")
_WINDOW = ("filter_shape", "kernel_shape", "kernel_size", "pool_shape", "pool_size")
# a keep probability given the case's ratio is still a dropout (the check follows the forward's own scaling)
_HYPER = {"stride": "stride", "p": "ratio", "dropout_p": "ratio", "rate": "ratio", "keep_prob": "ratio",
          "keep_probability": "ratio", "momentum": "momentum",
          "eps": "eps", "epsilon": "eps"}


def is_library_class(cls: Any) -> bool:
    """Whether `cls` is written for a library's conventions (`forward_pass`, `initialize(optimizer)`, ...)."""
    return isinstance(cls, type) and any(callable(getattr(cls, m, None)) for m in LIBRARY_METHODS)


class _Rate:
    """The learning rate every copy of gradlab's optimizer reads: layers copy the optimizer they are
    given once per parameter (`copy.copy(optimizer)`), and all copies must follow one setting."""

    def __init__(self) -> None:
        self.value = 1.0

    def __copy__(self) -> _Rate:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> _Rate:
        return self


class PlainSGD:
    """Plain gradient descent, `w - rate * grad`: the library's optimizer protocol (`update(w, grad)`)."""

    def __init__(self, rate: _Rate):
        self.rate = rate
        self.learning_rate = rate.value

    def update(self, w: np.ndarray, grad: np.ndarray) -> np.ndarray:
        return w - self.rate.value * np.asarray(grad)


class LibraryLayer(ClassLayer):
    """A library layer seen through gradlab's native protocol (see the module docstring)."""

    def __init__(self, cls: type, kind: Kind, case: Case, *, construct_with: dict[str, Any] | None = None):
        self.kind = kind
        self.rate = _Rate()
        self.obj = _construct(cls, kind, case, construct_with or {})
        _set_hyper(self.obj, case)
        self.optimizer_installed = _prepare(self.obj, case, PlainSGD(self.rate))
        self.lr_attribute = None
        self.forward_method = _method(self.obj, "forward_pass", "forward")
        self.backward_method = _method(self.obj, "backward_pass", "backward")
        self.train_kw = next((f for f in _TRAIN_FLAGS if accepts(self.forward_method, f)), None)
        self.params, self.slots, self.views, self.grad_names = {}, {}, {}, {}
        for i, canonical in enumerate(kind.params):
            slot = self._slot(canonical, case, index=i)
            self.params[canonical] = case.params[canonical]
            self.slots[canonical] = slot
            self.views[canonical] = slot.install(case.params[canonical])
            self.grad_names[canonical] = slot.grad_spelling
        self.rng = RandomStateKeeper(int(case.hyper.get("seed", 0)), self.obj) if kind.stochastic else None
        self.rebound: set[str] = set()
        self.lr_arg = False
        self.last_inputs: tuple[np.ndarray, np.ndarray | None] | None = None
        self.backed = False

    def _slot(self, canonical: str, case: Case, *, index: int) -> Slot:
        try:
            return _same_layout(find_slot(self.obj, canonical, case.params[canonical], index=index,
                                          count=len(self.kind.params)), case.params[canonical])
        except LayerSignatureError:
            # sized at its first forward (numpy-ml's FullyConnected draws W when it first sees X)
            self._call_forward(case.x.copy())
        try:
            return _same_layout(find_slot(self.obj, canonical, case.params[canonical], index=index,
                                          count=len(self.kind.params)), case.params[canonical])
        except LayerSignatureError as exc:
            raise ConventionMismatch(f"{exc}; built with the case's sizes it keeps its parameters in another layout "
                                     "than gradlab's (channels last?): not checked") from None

    @property
    def updates_itself(self) -> bool:
        return self.optimizer_installed

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.rng is not None:
            self.rng.reset()
        try:
            return self._call_forward(x)
        finally:
            self._keep_params()

    def _call_forward(self, x: np.ndarray) -> np.ndarray:
        name = f"{type(self.obj).__name__}.{self.forward_method.__name__}"
        flush = getattr(self.obj, "flush_gradients", None)
        if callable(flush):  # numpy-ml keeps every forward's input until the update: one forward, one input
            call(f"{type(self.obj).__name__}.flush_gradients", flush)
        kwargs = {self.train_kw: True} if self.train_kw else {}
        return as_array(call(name, self.forward_method, x, **kwargs), name)

    def _call_backward(self, dout: np.ndarray, *, lr: float | None) -> np.ndarray | None:
        _zero_gradients(self.obj)  # accumulated with +=: a second backward must not add to the first
        name = f"{type(self.obj).__name__}.{self.backward_method.__name__}"
        dx = call(name, self.backward_method, dout)
        return None if dx is None and not self.kind.x_differentiable else as_array(dx, name)

    def _with_rate(self, rate: float, dout: np.ndarray) -> np.ndarray | None:
        self.rate.value = rate
        try:
            return self._call_backward(dout, lr=rate)
        finally:
            self.rate.value = 1.0


def _set_hyper(obj: Any, case: Case) -> None:
    """The case's epsilon and momentum where the layer keeps its own without taking them (ML-From-Scratch's
    batch norm sets `self.eps = 0.01` in its constructor): the forward's law is the case's."""
    for attribute, key in (("eps", "eps"), ("epsilon", "eps"), ("momentum", "momentum")):
        if key in case.hyper and isinstance(getattr(obj, attribute, None), float):
            setattr(obj, attribute, case.hyper[key])


def _same_layout(slot: Slot, ours: np.ndarray) -> Slot:
    """`slot`, unless the layer's array has more than two axes in another order than gradlab's: a filter bank
    (kh, kw, in, out) of the size of gradlab's (out, in, kh, kw) is not the same array reshaped."""
    have = np.shape(slot.get())
    if ours.ndim > 2 and have != ours.shape:
        raise LayerSignatureError(f"its {slot.spelling} has shape {have} where gradlab's is {ours.shape}")
    return slot


def _method(obj: Any, *names: str) -> Any:
    return next(getattr(obj, n) for n in names if callable(getattr(obj, n, None)))


def _zero_gradients(obj: Any) -> None:
    gradients = getattr(obj, "gradients", None)
    if isinstance(gradients, dict):
        for value in gradients.values():
            if isinstance(value, np.ndarray) and value.flags.writeable:
                value[...] = 0


def _prepare(obj: Any, case: Case, optimizer: PlainSGD) -> bool:
    """Size the layer (`set_input_shape`) and give it gradlab's optimizer (`initialize(optimizer)`); whether
    it took an optimizer, whose update inside backward is then how it reports its gradients."""
    name = type(obj).__name__
    set_shape = getattr(obj, "set_input_shape", None)
    if callable(set_shape):
        call(f"{name}.set_input_shape", set_shape, tuple(case.x.shape[1:]))
    initialize = getattr(obj, "initialize", None)
    if callable(initialize) and _required(initialize) == 1:
        call(f"{name}.initialize", initialize, optimizer)
        return True
    return False


def _required(fn: Any) -> int:
    try:
        return sum(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                   for p in signature(fn).parameters.values())
    except (TypeError, ValueError):
        return -1


def _construct(cls: type, kind: Kind, case: Case, given: dict[str, Any]) -> Any:
    """The layer built from the case's sizes and hyper-parameters, named as these libraries name them."""
    try:
        params = list(signature(cls).parameters.values())
    except (TypeError, ValueError):
        params = []
    kwargs: dict[str, Any] = {}
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        value = given[p.name] if p.name in given else _argument(p, kind, case)
        if value is not inspect.Parameter.empty:
            kwargs[p.name] = value
        elif p.default is p.empty:  # numpy-ml's Dropout(wrapped_layer, p) wraps another layer
            sized = _sized_constructor(cls, kind, case)
            if sized is not None:
                # __init__ takes the arrays and a classmethod draws them from sizes (ILearnDeepLearning's
                # DenseLayer(w, b) and DenseLayer.initialize(units_prev, units_curr)): built that way
                method, arguments = sized
                try:
                    return method(**arguments)
                except (Exception, SystemExit) as exc:
                    raise crash_report(f"{cls.__name__}.{method.__name__}(...)", exc) from exc
            raise ConventionMismatch(f"{cls.__name__}.__init__ needs argument {p.name!r}, which gradlab cannot "
                                     f"supply for a {kind.name} layer: not checked")
    try:
        return cls(**kwargs)
    except (Exception, SystemExit) as exc:
        raise crash_report(f"{cls.__name__}(...)", exc) from exc


def _sized_constructor(cls: type, kind: Kind, case: Case) -> tuple[Any, dict[str, Any]] | None:
    """A classmethod of `cls` whose every required argument gradlab can supply from the case's sizes and
    hyper-parameters, with those arguments; None when there is none."""
    for name, attribute in vars(cls).items():
        if not isinstance(attribute, classmethod):
            continue
        method = getattr(cls, name)
        try:
            params = [p for p in signature(method).parameters.values()
                      if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        except (TypeError, ValueError):
            continue
        arguments = {p.name: _argument(p, kind, case) for p in params}
        missing = [p for p in params if arguments[p.name] is inspect.Parameter.empty and p.default is p.empty]
        if params and not missing:
            return method, {k: v for k, v in arguments.items() if v is not inspect.Parameter.empty}
    return None


def _argument(p: inspect.Parameter, kind: Kind, case: Case) -> Any:
    lower = p.name.lower()
    sizes = kind.sizes(case) if kind.sizes is not None else {}
    role = next((r for r in sizes if lower in SIZE_NAMES.get(r, ()) and r != "out"), None)
    if role is not None:  # numpy-ml's Embedding(n_out, vocab_size)
        return sizes[role]
    if lower in _OUT:
        return _out_size(kind, case)
    if lower in _IN_SHAPE:
        return tuple(case.x.shape[1:])
    if lower in _WINDOW:
        W = case.params.get("W")
        return tuple(W.shape[2:]) if W is not None and W.ndim == 4 else (case.hyper["pool_h"], case.hyper["pool_w"])
    if lower in ("padding", "pad"):
        if isinstance(case.hyper.get("pad"), tuple):  # a zero padding's (pad_h, pad_w), for a layer that reads a pair
            return case.hyper["pad"]
        pad = int(case.hyper.get("pad", 0))
        # ML-From-Scratch names its padding ('same' keeps H and W at stride 1, 'valid' is none)
        return ("valid" if pad == 0 else "same") if isinstance(p.default, str) else pad
    if _HYPER.get(lower) in case.hyper:
        return case.hyper[_HYPER[lower]]
    if p.name in kind.hyper_args and p.name in case.hyper:  # spelled as the kind spells it (an upsampling's size)
        return case.hyper[p.name]
    return inspect.Parameter.empty


def _out_size(kind: Kind, case: Case) -> int:
    if kind.sizes is not None:
        sizes = kind.sizes(case)
        if "out" in sizes:
            return sizes["out"]
    W, b = case.params.get("W"), case.params.get("b")
    if W is not None and W.ndim == 4:  # a convolution's filters (F, C, HH, WW)
        return int(W.shape[0])
    return int((b if b is not None else np.zeros((1,)) if W is None else W).shape[-1])
