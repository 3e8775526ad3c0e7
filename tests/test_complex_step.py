"""The complex step: right where a layer computes in complex arithmetic, refused (and remembered)
where it raises, warns or silently drops the imaginary part; gradlab's arrays always put back.
Never a timed assertion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from gradlab.conventions.adapters import adapt
from gradlab.conventions.discover import entry_for
from gradlab.conventions.registry import load_reference
from gradlab.core import complex_step, numeric, separation
from gradlab.core.check import check_case
from gradlab.kinds import KINDS, build_case

REFERENCE = load_reference()


@pytest.fixture(autouse=True)
def fresh_run():
    complex_step.forget()
    yield
    complex_step.forget()


def _setup(entry: Any, kind_name: str, spec: dict[str, Any]) -> tuple[Any, Any, np.ndarray, np.ndarray, np.ndarray]:
    kind = KINDS[kind_name]
    case = build_case(kind, {"seed": 0, "scale": 1.0, **spec})
    layer = adapt(entry, kind, case)
    x = case.x.astype(np.float64, copy=True) if kind.x_differentiable else case.x.copy()
    y0 = np.array(layer.forward(x, case.t), dtype=np.float64)
    G = np.array(1.0) if kind.is_loss else np.random.default_rng([0, 1]).standard_normal(y0.shape)
    return layer, case, x, y0, G


def _complex(layer: Any, target: str, arr: np.ndarray, case: Any, x: np.ndarray, y0: np.ndarray, G: np.ndarray,
             **options: Any) -> np.ndarray | None:
    return complex_step.gradient(layer, target, arr, x=x, t=case.t, y0=y0, G=G, h=numeric.steps(arr),
                                 eps=float(np.finfo(np.float64).eps), rng=np.random.default_rng(0), **options)


def _central(layer: Any, arr: np.ndarray, case: Any, x: np.ndarray, G: np.ndarray) -> np.ndarray:
    return numeric.looped_gradient(lambda: layer.forward(x, case.t), arr, G)


CORRECT = [
    ("Affine", "affine", {"N": 5, "in_shape": (12,), "out": 7}, "W"),
    ("Affine", "affine", {"N": 9, "in_shape": (8,), "out": 7}, "x"),
    ("Convolution", "conv", {"N": 2, "C": 3, "H": 5, "W": 5, "F": 3, "HH": 3, "WW": 3, "stride": 1, "pad": 1}, "W"),
    ("SoftmaxWithLoss", "softmax_with_loss", {"N": 8, "C": 10, "labels": "index"}, "x"),
    ("Tanh", "tanh", {"N": 6, "shape": (11,)}, "x"),
    ("affine", "affine", {"N": 5, "in_shape": (12,), "out": 7}, "W"),  # function style: params replaced in place
    ("softmax_loss", "softmax_with_loss", {"N": 8, "C": 10, "labels": "index"}, "x"),
]


@pytest.mark.parametrize("name, kind_name, spec, target", CORRECT, ids=lambda v: v if isinstance(v, str) else "")
def test_the_complex_step_agrees_with_central_differences_on_a_correct_layer(name, kind_name, spec, target):
    entry = next(e for e in REFERENCE.values() if e.name == name)
    layer, case, x, y0, G = _setup(entry, kind_name, spec)
    arr = x if target == "x" else layer.params[target]
    assert arr.size >= complex_step.MIN_SIZE
    stepped = _complex(layer, target, arr, case, x, y0, G)
    assert stepped is not None, complex_step.untrusted(layer, target)
    np.testing.assert_allclose(stepped, _central(layer, arr, case, x, G), rtol=1e-6, atol=1e-9)


def test_the_complex_step_is_exact_where_central_differences_round():
    entry = REFERENCE["Affine"]
    layer, case, x, y0, G = _setup(entry, "affine", {"N": 5, "in_shape": (12,), "out": 7})
    exact = x.T @ G
    stepped = _complex(layer, "W", layer.params["W"], case, x, y0, G)
    assert stepped is not None
    assert np.max(np.abs(stepped - exact)) <= 1e-14 * np.max(np.abs(exact))


def test_gradlabs_own_arrays_are_put_back_in_the_layer_bit_for_bit():
    entry = REFERENCE["Affine"]
    layer, case, x, y0, G = _setup(entry, "affine", {"N": 5, "in_shape": (12,), "out": 7})
    W, b = layer.params["W"], layer.params["b"]
    before = W.copy()
    assert _complex(layer, "W", W, case, x, y0, G) is not None
    assert layer.params["W"] is W and W.dtype == np.float64 and np.array_equal(W, before)
    assert np.shares_memory(layer.obj.W, W)  # the user's object computes with gradlab's array again
    assert not np.iscomplexobj(layer.obj.W) and not np.iscomplexobj(layer.forward(x, None))
    W[0, 0] += 1.0  # and a perturbation of gradlab's array still reaches the layer
    assert not np.array_equal(layer.forward(x, None), y0)
    W[0, 0] -= 1.0
    assert layer.params["b"] is b


class DropsImaginaryByCast:
    """A correct affine layer whose forward casts its result to float64: ComplexWarning, and Im is gone."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return (x @ self.W + self.b).astype(np.float64)

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class DropsImaginaryByAbs:
    """A correct layer computing |x @ W| + b through abs: real for complex input, no warning at all."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x, self.z = x, x @ self.W
        return np.abs(self.z) + self.b

    def backward(self, dout):
        dz = dout * np.sign(self.z)
        self.dW, self.db = self.x.T @ dz, dout.sum(axis=0)
        return dz @ self.W.T


class ScaledByVariance:
    """A correct layer y = z / sqrt(var(z) + 1) + b per sample, z = x @ W: np.var of a complex array is
    real, so the complex step silently misses the variance's derivative (as it does in batch norm)."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x, self.z = x, x @ self.W
        self.s = np.sqrt(np.var(self.z, axis=1, keepdims=True) + 1.0)
        return self.z / self.s + self.b

    def backward(self, dout):
        M = self.z.shape[1]
        zc = self.z - self.z.mean(axis=1, keepdims=True)
        dz = dout / self.s - zc * np.sum(dout * self.z, axis=1, keepdims=True) / (M * self.s**3)
        self.dW, self.db = self.x.T @ dz, dout.sum(axis=0)
        return dz @ self.W.T


class RaisesForComplex:
    """A correct softplus-affine layer using np.logaddexp, which has no complex loop."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x, self.z = x, x @ self.W + self.b
        return np.logaddexp(0.0, self.z)

    def backward(self, dout):
        dz = dout / (1.0 + np.exp(-self.z))
        self.dW, self.db = self.x.T @ dz, dz.sum(axis=0)
        return dz @ self.W.T


SPEC = {"N": 6, "in_shape": (12,), "out": 7}


@pytest.mark.parametrize("cls, why", [(DropsImaginaryByCast, "ComplexWarning"), (DropsImaginaryByAbs, "dropped"),
                                      (ScaledByVariance, "disagreed"), (RaisesForComplex, "raised")],
                         ids=["astype", "abs", "np.var", "np.logaddexp"])
def test_a_layer_that_loses_the_imaginary_part_or_raises_falls_back_and_is_remembered(cls, why):
    entry = entry_for(cls, kind="affine")
    layer, case, x, y0, G = _setup(entry, "affine", SPEC)
    W = layer.params["W"]
    before = W.copy()
    assert _complex(layer, "W", W, case, x, y0, G) is None
    assert why in (complex_step.untrusted(layer, "W") or "")
    assert layer.params["W"] is W and np.array_equal(W, before) and np.shares_memory(layer.obj.W, W)
    # remembered for the rest of the run: a new layer of the same class is not even tried
    again, case2, x2, y02, G2 = _setup(entry, "affine", SPEC)
    calls = [0]
    forward = again.forward

    def counted(*args: Any) -> Any:
        calls[0] += 1
        return forward(*args)

    again.forward = counted
    assert _complex(again, "W", again.params["W"], case2, x2, y02, G2) is None and calls[0] == 0


@pytest.mark.parametrize("cls", [DropsImaginaryByCast, DropsImaginaryByAbs, ScaledByVariance, RaisesForComplex],
                         ids=["astype", "abs", "np.var", "np.logaddexp"])
def test_the_check_of_such_a_layer_passes_by_central_differences(cls, monkeypatch):
    monkeypatch.setattr(complex_step, "MAX_COST", float("inf"))  # whatever complex arithmetic costs here
    monkeypatch.setattr(separation, "gradient", lambda *args, **kwargs: None)  # W would be separated first
    entry, kind = entry_for(cls, kind="affine"), KINDS["affine"]
    case = build_case(kind, {"seed": 3, "scale": 1.0, "N": 12, "in_shape": (14,), "out": 9})
    result = check_case(lambda c: adapt(entry, kind, c), kind, case, mode="full")
    assert not result.failed, result.describe()
    assert all("complex" not in g.method for g in result.gradients)
    assert complex_step.untrusted(adapt(entry, kind, case), "W")  # it was tried, and refused


class MissingMeanSoftmaxLoss:
    """Softmax cross-entropy averaged over the batch whose backward forgets the 1/N."""

    def forward(self, x, t):
        z = x - x.max(axis=1, keepdims=True)
        self.p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        self.t = t
        return -np.mean(np.log(self.p[np.arange(len(t)), t]))

    def backward(self, dout=1):
        d = self.p.copy()
        d[np.arange(len(self.t)), self.t] -= 1.0
        return d * dout


@pytest.mark.parametrize("layer, verdict, code", [(REFERENCE["SoftmaxWithLoss"].target, "pass", None),
                                                  (MissingMeanSoftmaxLoss, "fail", "missing-batch-mean")],
                         ids=["correct", "missing-batch-mean"])
def test_a_check_by_the_complex_step_gives_the_central_difference_checks_verdict(layer, verdict, code, monkeypatch):
    kind = KINDS["softmax_with_loss"]
    entry = entry_for(layer, kind=kind)
    case = build_case(kind, {"seed": 2, "scale": 1.0, "N": 8, "C": 12, "labels": "index"})

    def check() -> Any:
        complex_step.forget()
        return check_case(lambda c: adapt(entry, kind, c), kind, case, mode="full")

    monkeypatch.setattr(complex_step, "MAX_COST", float("inf"))
    stepped = check()
    assert [g.method for g in stepped.gradients] == ["elementwise (complex step)"]
    monkeypatch.setattr(complex_step, "MIN_SIZE", 10**9)
    central = check()
    assert [g.method for g in central.gradients] == ["elementwise"]
    for result in (stepped, central):
        assert result.verdict == verdict and [g.bug_code for g in result.gradients] == [code]
    assert stepped.gradients[0].diagnosis == central.gradients[0].diagnosis


def test_a_layer_whose_complex_calls_cost_too_much_is_not_stepped_and_that_is_remembered():
    entry = REFERENCE["Affine"]
    layer, case, x, y0, G = _setup(entry, "affine", {"N": 5, "in_shape": (12,), "out": 7})
    assert _complex(layer, "W", layer.params["W"], case, x, y0, G, max_cost=0.0) is None
    assert "costs" in (complex_step.untrusted(layer, "W") or "")
    complex_step.forget()
    assert complex_step.untrusted(layer, "W") is None
