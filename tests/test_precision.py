"""Precision (issue 10): a layer is judged at the precision it really computes in, measured on the layer
itself, not read off its output's dtype; and at float32 the tolerance is still tight enough to catch
a backward 1% off."""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.adapters import adapt
from gradlab.conventions.discover import entry_for
from gradlab.core.check import check_case
from gradlab.core.precision import FLOAT32, FLOAT64, measured_precision
from gradlab.core.results import FAIL, PASS
from gradlab.core.tolerances import RTOL
from gradlab.kinds import KINDS, build_case

SEEDS = range(4)


def affine(*, cast=np.float32, fx=1.0, fw=1.0):
    """An affine layer that casts x to `cast` inside and returns float64; dx, dW scaled by fx, fw."""

    class Affine:
        def __init__(self, W, b):
            self.W, self.b = W, b

        def forward(self, x):
            self.shape = x.shape
            self.x = x.reshape(len(x), -1).astype(cast)
            return (self.x @ self.W + self.b).astype(np.float64)

        def backward(self, dout):
            self.dW = fw * (self.x.T @ dout)
            self.db = dout.sum(axis=0)
            return (fx * (dout @ self.W.T)).reshape(self.shape)

    return Affine


def sigmoid(*, cast=np.float32, returns=np.float64, f=1.0):
    """A sigmoid computing in `cast` and returning `returns`; its dx scaled by f."""

    class Sigmoid:
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x.astype(cast)))
            return self.out.astype(returns)

        def backward(self, dout):
            return f * dout * self.out * (1 - self.out)

    return Sigmoid


def check(layer, kind, seed, examples):
    return check_entry(entry_for(layer, kind=kind), examples=examples, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_correct_affine_casting_x_to_float32_inside_and_returning_float64_passes_judged_at_float32(
        seed, layer_examples):
    report = check(affine(), "affine", seed, layer_examples)
    assert report.verdict == PASS and report.bug_codes == [], report.bug_codes
    assert {g.precision for g in report.worst.values()} == {"float32"}
    assert all(g.to_dict()["precision"] == "float32" and g.rtol == FLOAT32.rtol for g in report.worst.values())


@pytest.mark.parametrize("seed", SEEDS)
def test_a_correct_sigmoid_computing_in_float32_and_returning_float64_passes_judged_at_float32(seed, layer_examples):
    report = check(sigmoid(), "sigmoid", seed, layer_examples)
    assert report.verdict == PASS and report.bug_codes == [], report.bug_codes
    assert report.worst["dx"].precision == "float32"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_sigmoid_computing_and_returning_float32_passes_judged_at_float32(seed, layer_examples):
    report = check(sigmoid(returns=np.float32), "sigmoid", seed, layer_examples)
    assert report.verdict == PASS and report.worst["dx"].precision == "float32"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("off", [1.01, 0.99, 1.005])
@pytest.mark.parametrize("which", ["dx", "dW"])
def test_a_float32_affine_with_dx_or_dW_off_by_one_percent_or_even_half_a_percent_fails(which, off, seed,
                                                                                        layer_examples):
    report = check(affine(**{("fx" if which == "dx" else "fw"): off}), "affine", seed, layer_examples)
    assert report.verdict == FAIL and report.bug_codes == ["scaled"]
    assert report.failing is not None
    assert [g.name for g in report.failing.gradients if not g.passed] == [which]


@pytest.mark.parametrize("which", ["dx", "dW"])
def test_on_a_case_it_computes_in_float32_the_affine_one_percent_off_fails_judged_at_float32(which):
    kind = KINDS["affine"]
    case = build_case(kind, {"N": 3, "seed": 1, "scale": 1.0, "in_shape": (4,), "out": 3})
    entry = entry_for(affine(**{("fx" if which == "dx" else "fw"): 1.01}), kind="affine")
    result = check_case(lambda c: adapt(entry, kind, c), kind, case, name=entry.name)
    assert result.bug_codes == ["scaled"]
    assert {g.name: (g.passed, g.precision) for g in result.gradients} == {
        "dx": (which != "dx", "float32"), "dW": (which != "dW", "float32"), "db": (True, "float32")}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("off", [1.01, 0.99])
def test_a_float32_sigmoid_with_dx_off_by_one_percent_fails(off, seed, layer_examples):
    report = check(sigmoid(f=off), "sigmoid", seed, layer_examples)
    assert report.verdict == FAIL and report.bug_codes == ["scaled"]
    assert report.worst["dx"].precision == "float32"


@pytest.mark.parametrize("layer, kind", [(affine(cast=np.float64), "affine"), (sigmoid(cast=np.float64), "sigmoid")],
                         ids=["affine", "sigmoid"])
def test_a_float64_layer_is_still_judged_at_float64_with_rtol_1e_4(layer, kind, layer_examples):
    report = check(layer, kind, 0, layer_examples)
    assert report.verdict == PASS
    assert all(g.precision == "float64" and g.rtol == RTOL == 1e-4 for g in report.worst.values())


def test_a_float64_sigmoid_1e_3_off_still_fails_at_float64():
    report = check(sigmoid(cast=np.float64, f=1.001), "sigmoid", 0, 20)
    assert report.verdict == FAIL and report.failing is not None
    assert report.failing.gradients[0].precision == "float64"


def probe(forward, arrays, y0, seed=0):
    return measured_precision(forward, arrays, y0, np.random.default_rng(seed))


@pytest.mark.parametrize("seed", range(20))
def test_the_probe_tells_float64_from_float32_arithmetic_on_the_same_function(seed):
    x = np.random.default_rng(seed).standard_normal((3, 4)) * 10.0 ** np.random.default_rng(seed).uniform(-3, 3)
    W = np.random.default_rng(seed + 1).standard_normal((4, 5))

    def f64():
        return x @ W + 1.0

    def f32():
        return x.astype(np.float32) @ W + 1.0  # x rounded to float32; the rest in float64

    assert probe(f64, [x], f64(), seed) is FLOAT64
    assert probe(f32, [x], f32(), seed) is FLOAT32
    assert probe(f32, [W], f32(), seed) is FLOAT64  # W itself never goes through float32


def test_the_probe_says_nothing_where_there_is_nothing_to_measure():
    x = np.random.default_rng(0).standard_normal((4, 3))
    assert probe(lambda: np.zeros(3), [x], np.zeros(3)) is None  # an output of zeros
    idx = np.array([0, 2, 1])
    assert probe(lambda: x[idx], [idx], x[idx]) is None  # integer indices are not perturbed
    assert probe(lambda: x[idx], [np.zeros(3)], x[idx]) is None  # nothing nonzero to perturb by a relative amount


def test_a_float64_output_that_does_not_depend_on_x_here_is_not_taken_for_float32():
    big = np.array([[40.0, -50.0], [60.0, -70.0]])  # tanh saturated: +-1 whatever x does nearby
    assert probe(lambda: np.tanh(big), [big], np.tanh(big)) is None

    two = np.array([[1.0, 3.0], [2.0, -1.0]])  # batch norm of two samples: +-1 whatever x is

    def bn():
        z = two - two.mean(axis=0)
        return 2.0 * z / np.sqrt((z ** 2).mean(axis=0) + 1e-7) + 0.5

    assert probe(bn, [two], bn()) is FLOAT64


def test_a_stochastic_layer_with_its_fixed_randomness_is_judged_at_the_precision_it_computes_in(layer_examples):
    class Dropout32:
        def __init__(self, p=0.5):
            self.p = p

        def forward(self, x, train=True):
            self.mask = np.random.rand(*x.shape) > self.p
            return (x.astype(np.float32) * self.mask / (1 - self.p)).astype(np.float64)

        def backward(self, dout):
            return dout * self.mask / (1 - self.p)

    report = check(Dropout32, "dropout", 0, layer_examples)
    assert report.verdict == PASS and report.worst["dx"].precision == "float32"


def counted(layer_class):
    """`layer_class` with its forward calls counted in `calls`."""
    calls = {"forward": 0}

    class Counted(layer_class):
        def forward(self, x):
            calls["forward"] += 1
            return super().forward(x)

    return Counted, calls


def _fast_affine_case():
    kind = KINDS["affine"]
    return kind, build_case(kind, {"N": 16, "seed": 2, "scale": 1.0, "in_shape": (24,), "out": 12})


@pytest.mark.parametrize("cast, label", [(np.float32, "float32"), (np.float64, "float64")])
@pytest.mark.parametrize("mode", ["fast", "full", "auto"])
def test_fast_and_full_checks_label_the_precision_measured_even_when_the_probe_is_deferred(mode, cast, label):
    kind, case = _fast_affine_case()
    entry = entry_for(affine(cast=cast), kind="affine")
    result = check_case(lambda c: adapt(entry, kind, c), kind, case, name=entry.name, mode=mode)
    assert result.verdict == PASS, result.bug_codes
    assert {g.precision for g in result.gradients} == {label}


@pytest.mark.parametrize("off", [1.01, 1.001])
def test_fast_mode_on_a_float64_layer_still_fails_a_backward_a_tenth_of_a_percent_off(off):
    kind, case = _fast_affine_case()
    entry = entry_for(affine(cast=np.float64, fw=off), kind="affine")
    result = check_case(lambda c: adapt(entry, kind, c), kind, case, name=entry.name, mode="fast")
    assert result.bug_codes == ["scaled"]
    assert {g.name: (g.passed, g.precision) for g in result.gradients} == {
        "dx": (True, "float64"), "dW": (False, "float64"), "db": (True, "float64")}


def test_a_correct_float64_layer_checked_fast_spends_no_forward_call_on_the_precision_probe():
    kind, case = _fast_affine_case()
    layer_class, calls = counted(affine(cast=np.float64))
    entry = entry_for(layer_class, kind="affine")
    check_case(lambda c: adapt(entry, kind, c), kind, case, name=entry.name, mode="fast")
    fast_calls = calls["forward"]
    buggy_class, buggy_calls = counted(affine(cast=np.float64, fw=1.01))
    entry = entry_for(buggy_class, kind="affine")
    check_case(lambda c: adapt(entry, kind, c), kind, case, name=entry.name, mode="fast")
    # the first forward, the independence check's, and the joint projection's moves; the buggy one
    # also probes (4 calls) before its element-wise check
    assert fast_calls <= 10 < buggy_calls["forward"], (fast_calls, buggy_calls)
