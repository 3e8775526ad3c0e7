"""Output separation: a structure is used only once the layer proves it, and then the numeric gradient
is the element loop's, bit for bit, from far fewer forward calls. Never a timed assertion."""

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
CONV = {"N": 3, "C": 2, "H": 6, "W": 6, "F": 4, "HH": 3, "WW": 3, "stride": 1, "pad": 1}


def _layer(entry: Any, kind_name: str, spec: dict[str, Any]) -> tuple[Any, Any, np.ndarray, np.ndarray, np.ndarray]:
    kind = KINDS[kind_name]
    case = build_case(kind, {"seed": 0, "scale": 1.0, **spec})
    layer = adapt(entry, kind, case)
    x = case.x.astype(np.float64, copy=True) if kind.x_differentiable else case.x.copy()
    y0 = np.array(layer.forward(x, case.t), dtype=np.float64)
    return layer, case, x, y0, np.random.default_rng([0, 1]).standard_normal(y0.shape)


@pytest.mark.parametrize("name, kind_name, spec, target, slices", [
    ("Affine", "affine", {"N": 7, "in_shape": (9,), "out": 5}, "W", 5),
    ("Affine", "affine", {"N": 7, "in_shape": (2, 3, 2), "out": 5}, "b", 5),
    ("Affine", "affine", {"N": 7, "in_shape": (9,), "out": 5}, "x", 7),  # row separation
    ("Convolution", "conv", CONV, "W", 4),
    ("conv", "conv", CONV, "b", 4),
    ("BatchNormalization", "batchnorm", {"N": 6, "D": 5}, "x", 5),  # the features, never the samples
    ("BatchNormalization", "batchnorm", {"N": 6, "D": 5}, "gamma", 5),
    ("batchnorm", "batchnorm", {"N": 6, "D": 5}, "beta", 5),
    ("Embedding", "embedding", {"N": 3, "V": 5, "D": 4, "T": 2}, "W", 4),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_proved_structure_gives_the_element_loops_numbers_bit_for_bit(name, kind_name, spec, target, slices):
    entry = next(e for e in REFERENCE.values() if e.name == name)
    layer, case, x, y0, G = _layer(entry, kind_name, spec)
    arr = x if target == "x" else layer.params[target]
    before = arr.copy()
    h = numeric.steps(arr)
    calls = [0]

    def evaluate() -> np.ndarray:
        calls[0] += 1
        return layer.forward(x, case.t)

    found = separation.gradient(evaluate, arr, y0, G, h, rng=np.random.default_rng(0))
    assert found is not None
    grad, structure = found
    assert structure.slices == slices
    assert calls[0] == structure.proof_calls + 2 * structure.fibers < 2 * arr.size
    looped = numeric.batched_gradient(numeric.local_evaluator(lambda: layer.forward(x, case.t), arr), arr, G, h,
                                      out_size=y0.size)
    assert np.array_equal(grad, looped)
    assert np.array_equal(arr, before)


def _softmax_affine(W: np.ndarray, x: np.ndarray) -> np.ndarray:
    z = x @ W
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_a_layer_coupling_every_column_proves_no_structure():
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((6, 4)), rng.standard_normal((4, 5))
    y0 = _softmax_affine(W, x)
    assert separation.find_structure(lambda: _softmax_affine(W, x), W, y0, numeric.steps(W),
                                     rng=np.random.default_rng(0)) is None


@pytest.mark.parametrize("bit", [0, 1, 2])
def test_a_coupling_between_slices_that_differ_in_any_one_bit_is_found(bit):
    """Column k also reads W[:, k ^ 2**bit]: each ordered pair of slices is separated by some move."""
    rng = np.random.default_rng(2)
    x, W = rng.standard_normal((5, 3)), rng.standard_normal((3, 8))
    partner = np.arange(8) ^ (1 << bit)

    def forward() -> np.ndarray:
        return x @ W + 1e-3 * (x @ W[:, partner]) ** 2

    y0 = forward()
    assert separation.find_structure(forward, W, y0, numeric.steps(W), rng=np.random.default_rng(0)) is None
    independent = W.copy()
    assert separation.find_structure(lambda: x @ independent, independent, x @ independent,
                                     numeric.steps(independent), rng=np.random.default_rng(0)) is not None


def test_batch_norm_proves_its_features_separate_and_its_samples_not():
    entry = REFERENCE["BatchNormalization"]
    layer, case, x, y0, G = _layer(entry, "batchnorm", {"N": 5, "D": 5})  # square: both pairings are candidates
    structure = separation.find_structure(lambda: layer.forward(x, None), x, y0, numeric.steps(x),
                                          rng=np.random.default_rng(0))
    assert structure is not None and structure.axes == (1,) and structure.out_axes == (1,)


class FixedBatchAffine:
    """A correct affine layer that refuses any batch but its first (stacking is refused): x is then
    separated by rows instead, one column of every sample per pair of calls."""

    def __init__(self, W, b):
        self.W, self.b, self.N = W, b, None

    def forward(self, x):
        self.N = self.N or x.shape[0]
        assert x.shape[0] == self.N
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


def _counted_check(entry: Any, kind_name: str, spec: dict[str, Any], mode: str = "full") -> tuple[Any, int]:
    kind = KINDS[kind_name]
    case = build_case(kind, {"seed": 0, "scale": 1.0, **spec})
    calls = [0]

    def make(c: Any) -> Any:
        layer = adapt(entry, kind, c)
        forward = layer.forward

        def counted(*args: Any) -> Any:
            calls[0] += 1
            return forward(*args)

        layer.forward = counted
        return layer

    return check_case(make, kind, case, name=entry.name, convention=entry.convention, mode=mode), calls[0]


def test_x_of_a_layer_that_refuses_a_stacked_batch_is_separated_by_rows():
    result, calls = _counted_check(entry_for(FixedBatchAffine, kind="affine"), "affine",
                                   {"N": 8, "in_shape": (6,), "out": 5})
    assert result.verdict == "pass", result.describe()
    assert calls < 2 * (8 * 6 + 6 * 5 + 5)


def test_a_users_affine_128_to_64_is_checked_in_full_with_a_few_hundred_forward_calls():
    result, calls = _counted_check(REFERENCE["Affine"], "affine", {"N": 32, "in_shape": (128,), "out": 64})
    assert result.verdict == "pass" and all(g.method == "elementwise" for g in result.gradients)
    assert calls <= 300  # the element loop: 16,516 (2 per element of W and b, x stacked)


BUGGY = ["AffineTransposedDW", "AffineBiasSummedOverAll", "AffineDividesByBatch", "AffineCentresBatch",
         "BatchNormalizationNoStatsPaths", "batchnorm_dgamma_not_summed", "ConvolutionOverwritesOverlaps",
         "EmbeddingAssignsRows"]
SPECS = {"affine": {"N": 6, "in_shape": (7,), "out": 5}, "batchnorm": {"N": 6, "D": 5}, "conv": CONV,
         "embedding": {"N": 3, "V": 5, "D": 4, "T": 2}}


@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_layers_verdict_and_diagnosis_do_not_depend_on_separation(name, monkeypatch):
    entry = next(e for e in REFERENCE.values() if e.name == name)
    separated, fewer = _counted_check(entry, entry.kind, SPECS[entry.kind])
    monkeypatch.setattr(separation, "gradient", lambda *args, **kwargs: None)
    monkeypatch.setattr(complex_step, "gradient", lambda *args, **kwargs: None)  # the plain element loop
    looped, more = _counted_check(entry, entry.kind, SPECS[entry.kind])
    assert separated.failed
    assert [g.to_dict() for g in separated.gradients] == [g.to_dict() for g in looped.gradients]
    assert all(np.array_equal(a.numeric, b.numeric) for a, b in zip(separated.gradients, looped.gradients))
    assert separated.findings == looped.findings
    assert fewer <= more
