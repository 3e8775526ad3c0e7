"""Class-style layers (the textbook and learners' projects): a class per layer, `forward(x)`, `backward(dout)`.

Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from gradlab.conventions.calling import RandomStateKeeper, accepts, as_array, call, crash_report, has_required_arg
from gradlab.core.protocol import Layer, LayerSignatureError
from gradlab.kinds import Case, Kind

__all__ = ["ClassLayer"]

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
        self.rng = RandomStateKeeper(int(case.hyper.get("seed", 0)), self.obj) if kind.stochastic else None
        #: parameters the layer replaced with new arrays (self.W = self.W - lr * dW) during a call
        self.rebound: set[str] = set()
        self.train_kw = next((f for f in _TRAIN_FLAGS if accepts(self.obj.forward, f)), None)

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
                return as_array(call(f"{name}.forward", self.obj.forward, x, t), f"{name}.forward")
            kwargs = {self.train_kw: True} if self.train_kw else {}
            return as_array(call(f"{name}.forward", self.obj.forward, x, **kwargs), f"{name}.forward")
        finally:
            self._keep_params()

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray | None, dict[str, np.ndarray | None]]:
        name = type(self.obj).__name__
        if self.kind.is_loss and not has_required_arg(self.obj.backward):
            dx = call(f"{name}.backward", self.obj.backward)
            dx = None if dx is None else as_array(dx, f"{name}.backward") * float(dout)
        else:
            dx = call(f"{name}.backward", self.obj.backward, dout)
        self._keep_params()
        if dx is not None or self.kind.x_differentiable:
            dx = as_array(dx, f"{name}.backward") if dx is not None else None
        grads: dict[str, np.ndarray | None] = {}
        store = getattr(self.obj, "grads", None)
        for canonical, key in self.param_keys.items():
            value = getattr(self.obj, "d" + key, None)
            if value is None and isinstance(store, dict):
                value = store.get(key, store.get("d" + key))
            grads[canonical] = None if value is None else np.array(as_array(value, f"{name}.d{key}"), copy=True)
        return dx, grads
