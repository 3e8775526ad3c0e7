"""Adapters: run a layer written in either course convention through gradlab's native protocol.

The student's code is called exactly as the course calls it, never changed: a class-style layer is
constructed with its parameters and hyper-parameters and keeps them as attributes (or in a
`params` dict); a function-style layer gets them as arguments. Both end up exposing `params` as
live float64 arrays that the checker can perturb in place.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

import copy
import inspect
import traceback
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.conventions.registry import Entry
from gradlab.core.protocol import Layer, LayerCrash, LayerSignatureError, grad_name
from gradlab.kinds import Case, Kind

# hyper-parameter names a class constructor may use, mapped to the case's hyper keys
_HYPER_ALIASES = {
    "stride": "stride", "pad": "pad", "padding": "pad",
    "pool_h": "pool_h", "pool_height": "pool_h", "pool_size": "pool_h", "ph": "pool_h",
    "pool_w": "pool_w", "pool_width": "pool_w", "pw": "pool_w",
    "dropout_ratio": "ratio", "ratio": "ratio", "p": "ratio", "drop_rate": "ratio", "rate": "ratio",
    "eps": "eps", "epsilon": "eps", "momentum": "momentum",
}
_TRAIN_FLAGS = ("train_flg", "train_flag", "train", "training", "is_training")
_PARAM_ALIASES = {"W": ("W", "w", "weight", "weights"), "b": ("b", "bias"), "gamma": ("gamma",), "beta": ("beta",)}


def crash_report(call: str, exc: BaseException) -> LayerCrash:
    """A one-line account of an exception raised by the layer: type, message and the layer's line."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    for frame in reversed(frames):
        if "gradlab" not in frame.filename.replace("\\", "/").split("/")[-2:-1]:
            where = f" (at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}: {frame.line})"
            break
    return LayerCrash(call, f"raised {type(exc).__name__}: {exc}{where}")


def _call(call: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (Exception, SystemExit) as exc:  # SystemExit too: a layer must not end the checker
        raise crash_report(call, exc) from exc


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _as_array(value: Any, what: str) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if isinstance(value, (np.generic, float, int)):
        return np.asarray(value)
    raise LayerCrash(what, f"returned {type(value).__name__}, not a numpy array")


def _labels_as_indices(t: np.ndarray | None) -> np.ndarray | None:
    if t is not None and t.ndim == 2:
        return t.argmax(axis=1)
    return t


class _RandomStateKeeper:
    """Makes a stochastic layer draw the same random numbers at every call (dropout masks)."""

    def __init__(self, seed: int, holder: Any = None):
        self.seed = seed
        self.holder = holder
        self.saved: dict[str, Any] = {}
        if holder is not None:
            for name, value in vars(holder).items():
                if isinstance(value, (np.random.RandomState, np.random.Generator)):
                    self.saved[name] = copy.deepcopy(value)

    def reset(self) -> None:
        np.random.seed(self.seed)
        for name, value in self.saved.items():
            setattr(self.holder, name, copy.deepcopy(value))


class ClassLayer(Layer):
    """A class-style layer (`forward(x)`, `backward(dout)`, gradients in `dW`/`db` or `grads`)."""

    def __init__(self, cls: type, kind: Kind, case: Case):
        self.kind = kind
        self.obj = self._construct(cls, kind, case)
        self.params: dict[str, np.ndarray] = {}
        self.param_keys: dict[str, str] = {}
        self.grad_names: dict[str, str] = {}
        for canonical in kind.params:
            key = self._install(canonical, case.params[canonical])
            self.params[canonical] = case.params[canonical]
            self.param_keys[canonical] = key
            self.grad_names[canonical] = "d" + key
        self.rng = _RandomStateKeeper(int(case.hyper.get("seed", 0)), self.obj) if kind.stochastic else None
        #: parameters the layer replaced with new arrays (self.W = self.W - lr * dW) during a call
        self.rebound: set[str] = set()
        self.train_kw = next((f for f in _TRAIN_FLAGS if _accepts(self.obj.forward, f)), None)

    @staticmethod
    def _construct(cls: type, kind: Kind, case: Case) -> Any:
        try:
            sig = inspect.signature(cls)
        except (TypeError, ValueError):
            sig = None
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        if sig is not None:
            positional = [p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
            params = [case.params[p] for p in kind.params]
            # parameters first, in canonical order, then hyper-parameters by name
            args = params[: len(positional)]
            for p in positional[len(args):]:
                key = _HYPER_ALIASES.get(p.name)
                if key is not None and key in case.hyper:
                    kwargs[p.name] = case.hyper[key]
                elif p.default is p.empty:
                    raise LayerSignatureError(
                        f"{cls.__name__}.__init__ needs argument {p.name!r}, which gradlab cannot supply for a "
                        f"{kind.name} layer; expected {cls.__name__}({', '.join(kind.params + kind.hyper_args)})"
                    )
            for p in sig.parameters.values():
                if p.kind is p.KEYWORD_ONLY:
                    key = _HYPER_ALIASES.get(p.name)
                    if key is not None and key in case.hyper:
                        kwargs[p.name] = case.hyper[key]
        try:
            return cls(*args, **kwargs)
        except (Exception, SystemExit) as exc:
            names = [p.name for p in positional[: len(kind.params)]] if sig is not None else []
            expected = [a for p in kind.params for a in _PARAM_ALIASES.get(p, (p,))]
            if kind.params and names and not all(n in expected for n in names):
                raise LayerSignatureError(
                    f"{cls.__name__}({', '.join(p.name for p in positional)}) raised {type(exc).__name__} when given "
                    f"the parameter arrays: gradlab constructs {cls.__name__}({', '.join(kind.params)}) as the course "
                    f"does, so take the arrays as arguments") from exc
            raise crash_report(f"{cls.__name__}(...)", exc) from exc

    def _install(self, canonical: str, value: np.ndarray) -> str:
        """Put our float64 array where the layer reads the parameter; returns the name it goes by."""
        store = getattr(self.obj, "params", None)
        for name in _PARAM_ALIASES.get(canonical, (canonical,)):
            if isinstance(store, dict) and name in store:
                store[name] = value
                return name
            if hasattr(self.obj, name):
                setattr(self.obj, name, value)
                return name
        raise LayerSignatureError(
            f"{type(self.obj).__name__} keeps no parameter {canonical!r}: store it as self.{canonical} "
            f"or self.params[{canonical!r}]"
        )

    def _keep_params(self) -> None:
        """A parameter rebound to a new array is an update the checker must see: note it, and put
        the checker's array back so the next call computes with the values the checker controls."""
        store = getattr(self.obj, "params", None)
        for canonical, key in self.param_keys.items():
            ours = self.params[canonical]
            if isinstance(store, dict) and key in store:
                if store[key] is not ours:
                    self.rebound.add(canonical)
                    store[key] = ours
            elif getattr(self.obj, key, None) is not ours:
                self.rebound.add(canonical)
                setattr(self.obj, key, ours)

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.rng is not None:
            self.rng.reset()
        name = type(self.obj).__name__
        try:
            if self.kind.is_loss:
                return _as_array(_call(f"{name}.forward", self.obj.forward, x, t), f"{name}.forward")
            kwargs = {self.train_kw: True} if self.train_kw else {}
            return _as_array(_call(f"{name}.forward", self.obj.forward, x, **kwargs), f"{name}.forward")
        finally:
            self._keep_params()

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = type(self.obj).__name__
        if self.kind.is_loss and not _has_required_arg(self.obj.backward):
            dx = _call(f"{name}.backward", self.obj.backward)
            dx = None if dx is None else _as_array(dx, f"{name}.backward") * float(dout)
        else:
            dx = _call(f"{name}.backward", self.obj.backward, dout)
        self._keep_params()
        if dx is not None or self.kind.x_differentiable:
            dx = _as_array(dx, f"{name}.backward") if dx is not None else None
        grads: dict[str, np.ndarray | None] = {}
        store = getattr(self.obj, "grads", None)
        for canonical, key in self.param_keys.items():
            value = getattr(self.obj, "d" + key, None)
            if value is None and isinstance(store, dict):
                value = store.get(key, store.get("d" + key))
            grads[canonical] = None if value is None else np.array(_as_array(value, f"{name}.d{key}"), copy=True)
        return dx, grads


def _has_required_arg(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return True
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


class FunctionLayer(Layer):
    """A function-style pair: `<stem>_forward(x, *params[, param_dict]) -> (out, cache)` and
    `<stem>_backward(dout, cache) -> dx or (dx, dparam1, ...)`."""

    def __init__(self, forward: Callable[..., Any], backward: Callable[..., Any], kind: Kind, case: Case):
        self.kind, self.fwd, self.bwd, self.case = kind, forward, backward, case
        try:
            names = list(inspect.signature(forward).parameters)[1:]
        except (TypeError, ValueError):
            names = []
        param_args = [n for n in names if n != kind.param_dict][: len(kind.params)]
        if len(param_args) < len(kind.params):
            raise LayerSignatureError(
                f"{forward.__name__} takes ({', '.join(['x', *names])}); a {kind.name} forward takes "
                f"(x, {', '.join(p.lower() for p in kind.params)}{', ' + kind.param_dict if kind.param_dict else ''})"
            )
        self.params = {c: case.params[c] for c in kind.params}
        self.grad_names = {c: "d" + n for c, n in zip(kind.params, param_args)}
        self.cache: Any = None
        self.rng = _RandomStateKeeper(int(case.hyper.get("seed", 0))) if kind.stochastic else None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        if self.rng is not None:
            self.rng.reset()
        args: list[Any] = [x, *(self.params[c] for c in self.kind.params)]
        if self.kind.param_dict:
            args.append(self.kind.function_param_dict(self.case.hyper))
        result = _call(self.fwd.__name__, self.fwd, *args)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise LayerCrash(self.fwd.__name__, f"returned {type(result).__name__}, expected (out, cache)")
        out, self.cache = result
        return _as_array(out, self.fwd.__name__)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        result = _call(self.bwd.__name__, self.bwd, dout, self.cache)
        parts = list(result) if isinstance(result, tuple) else [result]
        expected = 1 + len(self.kind.params)
        if len(parts) != expected:
            raise LayerCrash(self.bwd.__name__, f"returned {len(parts)} value(s), expected {expected} "
                             f"(dx{''.join(', ' + self.grad_names[c] for c in self.kind.params)})")
        dx = None if parts[0] is None else _as_array(parts[0], self.bwd.__name__)
        grads = {c: None if g is None else _as_array(g, self.bwd.__name__) for c, g in zip(self.kind.params, parts[1:])}
        return dx, grads


class LossFunctionLayer(Layer):
    """A function-style loss `<name>(x, y) -> (loss, dx)`: forward and backward in one call."""

    def __init__(self, fn: Callable[..., Any], kind: Kind, case: Case):
        self.fn, self.kind = fn, kind
        self.params: dict[str, np.ndarray] = {}
        self.grad_names: dict[str, str] = {}
        self.dx: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray | None = None) -> np.ndarray:
        y = _labels_as_indices(t) if self.kind.index_labels else t
        result = _call(self.fn.__name__, self.fn, x, y)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise LayerCrash(self.fn.__name__, f"returned {type(result).__name__}, expected (loss, dx)")
        loss, dx = result
        self.dx = None if dx is None else _as_array(dx, self.fn.__name__)
        return _as_array(loss, self.fn.__name__)

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        return (None if self.dx is None else self.dx * float(dout)), {}


def adapt(entry: Entry, kind: Kind, case: Case) -> Layer:
    """A fresh native-protocol layer for `entry`, holding `case`'s parameters.

    `entry.options["layout"] == "columns"` runs a layer written for samples as columns
    (`gradlab.conventions.layouts`), with `entry.options["weights"]` "in_out" (default) or "out_in".
    """
    if entry.options.get("layout", "rows") == "columns":
        from gradlab.conventions.layouts import ColumnsLayer

        rows = replace(entry, options={k: v for k, v in entry.options.items() if k not in ("layout", "weights")})
        return ColumnsLayer(lambda c: adapt(rows, kind, c), kind, case, weights=entry.options.get("weights", "in_out"))
    target = entry.target
    if entry.convention == "class":
        return ClassLayer(target, kind, case)
    if entry.convention == "native":
        layer = _call("layer factory", target, case)
        for name, value in case.params.items():
            layer.params[name] = value
        return layer
    if isinstance(target, tuple):
        return FunctionLayer(target[0], target[1], kind, case)
    return LossFunctionLayer(target, kind, case)


def grad_names(layer: Layer, kind: Kind) -> dict[str, str]:
    """Display names of the gradients (`dx`, then `dW` or `dw` as the layer spells them)."""
    targets = (["x"] if kind.x_differentiable else []) + list(kind.params)
    return {t: grad_name(layer, t) for t in targets}
