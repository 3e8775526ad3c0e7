"""What each kind of layer computes and how to feed it: names, parameters, inputs, hyper-parameters.

A *kind* (affine, relu, conv, ...) is what gradlab knows about a layer without knowing who wrote
it: the names courses give it in both conventions, its parameters in canonical order, whether it
is a loss, mixes samples or draws random numbers, and how to build a test case (inputs, labels,
parameters, hyper-parameters) from a small shape spec. Shape specs are drawn by
`gradlab.cases.strategies`; values come from a seeded generator so every case is reproducible.
Non-goal: calling layers (that is `gradlab.conventions.adapters`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class Case:
    """One concrete test case: float64 arrays and the spec they were built from."""

    x: np.ndarray
    t: np.ndarray | None
    params: dict[str, np.ndarray]
    hyper: dict[str, Any]
    spec: dict[str, Any]

    @property
    def N(self) -> int:
        return int(self.spec["N"])

    def describe(self) -> str:
        return describe_spec(self.spec)


def describe_spec(spec: dict[str, Any]) -> str:
    """A short human description such as `N=2, x (2, 3) -> 2`."""
    parts = [f"N={spec['N']}"]
    for key, value in spec.items():
        if key in ("N", "seed"):
            continue
        if isinstance(value, tuple):
            value = "x".join(map(str, value)) if value else "()"
        parts.append(f"{key}={value}")
    return ", ".join(parts)


Builder = Callable[[dict[str, Any], np.random.Generator], Case]


@dataclass(frozen=True)
class Kind:
    name: str
    class_names: tuple[str, ...]
    function_stems: tuple[str, ...] = ()
    loss_functions: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    is_loss: bool = False
    mixes_samples: bool = False
    stochastic: bool = False
    x_differentiable: bool = True
    # batch norm on one or two samples is degenerate (zero variance, dx ~ 0): nothing to diagnose there
    min_batch: int = 1
    # the function-style dict argument (e.g. "conv_param") and how to fill it from case.hyper
    param_dict: str | None = None
    param_dict_keys: dict[str, str] = field(default_factory=dict)
    build: Builder | None = None


def _values(rng: np.random.Generator, shape: tuple[int, ...], spec: dict[str, Any]) -> np.ndarray:
    """Generic inputs: normal values times the spec's scale, away from exact zeros and ties."""
    scale = float(spec.get("scale", 1.0))
    return rng.standard_normal(shape) * scale


def _labels(rng: np.random.Generator, N: int, C: int, encoding: str) -> np.ndarray:
    idx = rng.integers(0, C, size=N)
    if encoding == "index":
        return idx
    return np.eye(C)[idx]


def _elementwise(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    shape = (spec["N"], *spec["shape"])
    return Case(_values(rng, shape, spec), None, {}, dict(spec.get("hyper", {})), spec)


def _affine(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    N, in_shape, M = spec["N"], tuple(spec["in_shape"]), spec["out"]
    D = int(np.prod(in_shape))
    x = _values(rng, (N, *in_shape), spec)
    W = rng.standard_normal((D, M)) / np.sqrt(D)
    b = rng.standard_normal(M)
    return Case(x, None, {"W": W, "b": b}, {}, spec)


#: logits spread of loss cases: the textbook's log(y + 1e-7) is inexact by 1e-7/p, so keep p >~ 1e-2
LOGIT_STD = 0.5


def _softmax_with_loss(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    N, C = spec["N"], spec["C"]
    x = _values(rng, (N, C), spec) * (LOGIT_STD if spec.get("scale", 1.0) < 100 else 1.0)
    return Case(x, _labels(rng, N, C, spec.get("labels", "onehot")), {}, {}, spec)


def _svm(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    case = _softmax_with_loss({**spec, "labels": spec.get("labels", "index")}, rng)
    return case


def _mse(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    shape = (spec["N"], *spec["shape"])
    return Case(_values(rng, shape, spec), rng.standard_normal(shape), {}, {}, spec)


def _batchnorm(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    N, D = spec["N"], spec["D"]
    x = _values(rng, (N, D), spec) + rng.standard_normal(D)
    gamma = 1.0 + 0.5 * rng.standard_normal(D)
    beta = rng.standard_normal(D)
    return Case(x, None, {"gamma": gamma, "beta": beta}, {"eps": 1e-5, "momentum": 0.9}, spec)


def _dropout(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    case = _elementwise(spec, rng)
    case.hyper = {"ratio": spec.get("ratio", 0.5), "seed": int(spec.get("seed", 0)) % (2**31)}
    return case


def _conv(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    N, C, H, W_ = spec["N"], spec["C"], spec["H"], spec["W"]
    F, HH, WW = spec["F"], spec["HH"], spec["WW"]
    x = _values(rng, (N, C, H, W_), spec)
    w = rng.standard_normal((F, C, HH, WW)) / np.sqrt(C * HH * WW)
    b = rng.standard_normal(F)
    return Case(x, None, {"W": w, "b": b}, {"stride": spec["stride"], "pad": spec["pad"]}, spec)


def _pool(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    N, C, H, W_ = spec["N"], spec["C"], spec["H"], spec["W"]
    x = _values(rng, (N, C, H, W_), spec)
    hyper = {"pool_h": spec["pool_h"], "pool_w": spec["pool_w"], "stride": spec["stride"], "pad": spec.get("pad", 0)}
    return Case(x, None, {}, hyper, spec)


def _embedding(spec: dict[str, Any], rng: np.random.Generator) -> Case:
    N, V, D, T = spec["N"], spec["V"], spec["D"], spec["T"]
    # few distinct indices so that repeated indices (which must accumulate) are common
    idx = rng.integers(0, V, size=(N, T))
    W = rng.standard_normal((V, D))
    return Case(idx, None, {"W": W}, {}, spec)


_CONV_KEYS = {"stride": "stride", "pad": "pad"}
_POOL_KEYS = {"pool_height": "pool_h", "pool_width": "pool_w", "stride": "stride", "pad": "pad"}
_BN_KEYS = {"mode": "=train", "eps": "eps", "momentum": "momentum"}
_DROPOUT_KEYS = {"p": "ratio", "mode": "=train", "seed": "seed"}

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("affine", ("affine", "dense", "linear", "fullyconnected"), ("affine",), params=("W", "b"), build=_affine),
        Kind("relu", ("relu",), ("relu",), build=_elementwise),
        Kind("leaky_relu", ("leakyrelu",), ("leaky_relu",), build=_elementwise),
        Kind("sigmoid", ("sigmoid",), ("sigmoid",), build=_elementwise),
        Kind("tanh", ("tanh",), ("tanh",), build=_elementwise),
        Kind("swish", ("swish", "silu"), ("swish", "silu"), build=_elementwise),
        Kind("softmax", ("softmax",), ("softmax",), build=_elementwise),
        Kind("softmax_with_loss", ("softmaxwithloss", "softmaxcrossentropy", "softmaxloss"),
             loss_functions=("softmax_loss",), is_loss=True, build=_softmax_with_loss),
        Kind("svm_loss", ("svmloss", "multiclasssvmloss", "hingeloss"), loss_functions=("svm_loss",),
             is_loss=True, build=_svm),
        Kind("mse_loss", ("mseloss", "meansquarederror", "meansquaredloss", "mse"), loss_functions=("mse_loss",),
             is_loss=True, build=_mse),
        Kind("batchnorm", ("batchnormalization", "batchnorm"), ("batchnorm",), params=("gamma", "beta"),
             mixes_samples=True, min_batch=4, param_dict="bn_param", param_dict_keys=_BN_KEYS, build=_batchnorm),
        Kind("dropout", ("dropout",), ("dropout",), stochastic=True, param_dict="dropout_param",
             param_dict_keys=_DROPOUT_KEYS, build=_dropout),
        Kind("conv", ("convolution", "conv", "conv2d"), ("conv",), params=("W", "b"), param_dict="conv_param",
             param_dict_keys=_CONV_KEYS, build=_conv),
        Kind("max_pool", ("pooling", "maxpooling", "maxpool", "maxpool2d"), ("max_pool",), param_dict="pool_param",
             param_dict_keys=_POOL_KEYS, build=_pool),
        Kind("embedding", ("embedding",), ("embedding",), params=("W",), x_differentiable=False, build=_embedding),
    )
}


def normalise_class_name(name: str) -> str:
    return name.replace("_", "").lower()


def kind_for_class(name: str) -> Kind | None:
    key = normalise_class_name(name)
    for kind in KINDS.values():
        if key in kind.class_names:
            return kind
    return None


def kind_for_stem(stem: str) -> Kind | None:
    for kind in KINDS.values():
        if stem in kind.function_stems:
            return kind
    return None


def kind_for_loss_function(name: str) -> Kind | None:
    for kind in KINDS.values():
        if name in kind.loss_functions:
            return kind
    return None


def build_case(kind: Kind, spec: dict[str, Any]) -> Case:
    """Build the concrete float64 case for `spec` (reproducible from spec['seed'])."""
    assert kind.build is not None
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    return kind.build(spec, rng)
