"""Fast mode: the random-projection check passes every correct layer, catches wrong gradients, and
costs the same number of forward calls however large the array is."""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from gradlab.cases.parameter_forms import forward_backward, parameter_form
from gradlab.cases.runner import takes_optional_input
from gradlab.cases.strategies import specs
from gradlab.conventions.adapters import adapt
from gradlab.conventions.discover import entry_for
from gradlab.conventions.registry import Entry, load_reference
from gradlab.conventions.unbatched import UNBATCHED
from gradlab.core.check import check_case
from gradlab.core.projection import DIRECTIONS, ProjectionResult, projected_check
from gradlab.core.protocol import LayerCrash
from gradlab.kinds import KINDS, build_case

REFERENCE = load_reference()
CORRECT = [e for e in REFERENCE.values() if e.bug is None]
Affine = REFERENCE["Affine"].target


def _targets(entry: Entry) -> list[str]:
    """What fast mode projects: parameters, and x where the checker would loop over it."""
    kind = KINDS[entry.kind]
    loops_over_x = kind.x_differentiable and (kind.is_loss or kind.mixes_samples or kind.stochastic)
    # an optional parameter a layer may not have (the sinusoidal positional encoding's W) is left to the zoo's check
    return (["x"] if loops_over_x else []) + [p for p in kind.params if p not in kind.optional_params]


def _project(entry: Entry, spec: dict[str, Any], **options: Any) -> dict[str, ProjectionResult]:
    kind = KINDS[entry.kind]
    case = build_case(kind, spec)
    layer = adapt(entry, kind, case)
    x = case.x.astype(np.float64) if kind.x_differentiable else case.x
    y0 = np.array(layer.forward(x, case.t), dtype=np.float64)
    G = np.array(1.0) if kind.is_loss else np.random.default_rng(1).standard_normal(y0.shape)
    dx, grads = layer.backward(G.copy())
    analytic = {"x": dx, **grads}
    out = {}
    for target in _targets(entry):
        arr = x if target == "x" else layer.params[target]
        out[target] = projected_check(lambda: layer.forward(x, case.t), arr, np.array(analytic[target], copy=True),
                                      G, rng=spec["seed"], y0=y0, **options)
    return out


def _affine(N: int, D: int, M: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal((N, D)), rng.standard_normal((D, M)) / np.sqrt(D)
    G = rng.standard_normal((N, M))
    return x, W, G, x.T @ G


@pytest.mark.parametrize("entry", [e for e in CORRECT if _targets(e)], ids=lambda e: f"{e.name}-{e.convention}")
def test_every_correct_reference_layer_passes_the_projection_on_many_cases(entry: Entry, thorough_run: bool) -> None:
    kind = KINDS[entry.kind]
    # a layer written for one sample with no batch axis (a single image's convolution) is run so, as the runner
    # finds it: on batches of one given to it without the batch axis
    one: dict[str, Any] = {}
    probe = build_case(kind, {"N": 2, **kind.batch_spec(entry.convention), "seed": 0})
    try:
        adapt(entry, kind, probe).forward(probe.x, probe.t)
    except LayerCrash:
        single = replace(entry, options={**entry.options, "samples": UNBATCHED})
        alone = build_case(kind, {"N": 1, **kind.batch_spec(entry.convention), "seed": 0})
        try:
            adapt(single, kind, alone).forward(alone.x, alone.t)
            entry, one = single, {"N": 1}
        except LayerCrash:  # crashes either way on this probe (PReLU's slope form is probed next): batched
            pass
    # a layer written for (N, D) only is drawn 2-D inputs, as the runner does
    flat = not takes_optional_input(kind, lambda case: adapt(entry, kind, case).forward(case.x.copy(), None))
    # and in the form of its parameters it is written for (PReLU's one slope), as the runner probes it
    form = parameter_form(kind, entry.convention, partial(forward_backward, entry, kind))

    # 30 drawn cases in the thorough run, 10 in the default one (122 layers: 81 s of the suite's worker time at 30)
    @settings(max_examples=30 if thorough_run else 10, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(specs(kind, convention=entry.convention, flat_input=flat).map(lambda s: {**s, **form, **one}))
    def run(spec: dict[str, Any]) -> None:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for target, result in _project(entry, spec).items():
                assert result.passed, f"{entry.name} d{target} failed the projection on {spec}: {result}"

    run()


def test_gaussian_directions_pass_a_correct_layer_too() -> None:
    x, W, G, dW = _affine(8, 20, 7)
    assert projected_check(lambda: x @ W, W, dW, G, rng=3, distribution="gaussian").passed


@pytest.mark.parametrize("factor", [2.0, 8.0, 0.125, -1.0], ids=["doubled", "N-times", "divided-by-N", "sign-flipped"])
def test_a_scaled_weight_gradient_fails_the_projection(factor: float) -> None:
    x, W, G, dW = _affine(8, 20, 7)
    result = projected_check(lambda: x @ W, W, factor * dW, G, rng=0)
    assert not result.passed and result.worst_ratio > 10


def test_one_wrong_element_among_eight_thousand_fails_the_projection() -> None:
    x, W, G, dW = _affine(32, 128, 64)
    wrong = dW.copy()
    wrong[5, 7] += 0.5 * np.abs(dW).mean()
    assert not projected_check(lambda: x @ W, W, wrong, G, rng=0).passed


def test_errors_of_opposite_sign_do_not_cancel_in_signed_directions() -> None:
    x, W, G, dW = _affine(4, 6, 5)
    wrong = dW.copy()
    wrong[0, 0] += 1.0
    wrong[1, 1] -= 1.0
    assert not projected_check(lambda: x @ W, W, wrong, G, rng=0).passed


def test_the_array_is_restored_bit_for_bit_even_when_evaluate_raises() -> None:
    x, W, G, dW = _affine(4, 6, 5)
    before = W.copy()
    projected_check(lambda: x @ W, W, dW, G, rng=0)
    assert np.array_equal(W, before)
    calls = []

    def explode() -> np.ndarray:
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("layer crashed mid-check")
        return x @ W

    with pytest.raises(RuntimeError):
        projected_check(explode, W, dW, G, rng=0)
    assert np.array_equal(W, before)


def test_the_cost_in_forward_calls_does_not_grow_with_the_number_of_parameters() -> None:
    counts = []
    for D, M in ((3, 2), (128, 64), (1024, 256)):
        x, W, G, dW = _affine(32, D, M)
        calls = [0]

        def evaluate() -> np.ndarray:
            calls[0] += 1
            return x @ W

        assert projected_check(evaluate, W, dW, G, rng=0, directions=DIRECTIONS).passed
        counts.append(calls[0])
    assert counts == [2 * DIRECTIONS + 1] * 3  # one step settles each direction of a smooth layer, plus y0


def _tanh_affine(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal((6, 9)) * 3.0, rng.standard_normal((9, 5))
    G = rng.standard_normal((6, 5))
    return x, W, G, x.T @ (G * (1.0 - np.tanh(x @ W) ** 2))


def test_where_the_one_step_test_cannot_settle_a_direction_the_half_steps_decide() -> None:
    x, W, G, dW = _tanh_affine(7)
    calls = [0]

    def evaluate() -> np.ndarray:
        calls[0] += 1
        return np.tanh(x @ W)

    # nothing forgiven (rtol = atol = 0): the one-step test settles no direction, Richardson passes them
    assert projected_check(evaluate, W, dW, G, rng=0, rtol=0.0, atol=0.0).passed
    assert calls[0] == 4 * DIRECTIONS + 1
    calls[0] = 0
    assert projected_check(evaluate, W, dW, G, rng=0).passed  # the default tolerances: one step each
    assert calls[0] == 2 * DIRECTIONS + 1


@pytest.mark.parametrize("seed", range(40))
def test_the_one_step_test_never_passes_what_the_two_step_test_fails(seed: int, monkeypatch) -> None:
    """Wrong gradients of every size around the tolerance: whatever the one-step test settles, the
    full Richardson test (forced by refusing every direction the one-step way) passes too."""
    from gradlab.core import projection

    x, W, G, dW = _tanh_affine(seed)
    rng = np.random.default_rng(seed)
    wrong = dW + rng.standard_normal(dW.shape) * np.abs(dW).max() * 10.0 ** rng.uniform(-6, -1)

    def run(analytic: np.ndarray) -> bool:
        return projected_check(lambda: np.tanh(x @ W), W, analytic, G, rng=seed).passed

    for analytic in (dW, wrong):
        quick = run(analytic)
        with monkeypatch.context() as m:
            m.setattr(projection._Judge, "strict", lambda self, ys, full: np.zeros(len(ys), dtype=bool))
            full = run(analytic)
        assert full or not quick


BAD_CALLS = [
    pytest.param(dict(directions=0), "directions must be at least 1", id="no-directions"),
    pytest.param(dict(analytic=np.zeros((2, 2))), "shape", id="analytic-of-the-wrong-shape"),
    pytest.param(dict(analytic=np.full((6, 5), np.nan)), "finite", id="analytic-with-nan"),
    pytest.param(dict(distribution="uniform"), "rademacher", id="unknown-distribution"),
]


@pytest.mark.parametrize("change, message", BAD_CALLS)
def test_bad_arguments_are_refused_before_any_work(change: dict[str, Any], message: str) -> None:
    x, W, G, dW = _affine(4, 6, 5)
    kwargs: dict[str, Any] = dict(analytic=dW, rng=0)
    kwargs.update(change)
    with pytest.raises(ValueError, match=message):
        projected_check(lambda: pytest.fail("evaluated before validation"), W, G=G, **kwargs)


class AffineDoubledDW(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = 2 * self.dW
        return dx


class AffineMissingMean(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = dout.shape[0] * self.dW
        return dx


BUGGY = [pytest.param(AffineDoubledDW, "scaled", id="doubled-dW"),
         pytest.param(AffineMissingMean, "missing-batch-mean", id="dW-N-times-too-large")]
SPEC = {"N": 3, "in_shape": (5,), "out": 4, "seed": 1}


@pytest.mark.parametrize("cls, code", BUGGY)
def test_a_wrong_gradient_fails_the_projection_and_the_element_wise_check_names_the_bug(cls: type, code: str) -> None:
    entry, kind = entry_for(cls, kind="affine"), KINDS["affine"]
    assert not _project(entry, SPEC)["W"].passed
    result = check_case(lambda c: adapt(entry, kind, c), kind, build_case(kind, SPEC))
    assert result.bug_codes == [code]


@pytest.mark.parametrize("cls, code", BUGGY)
def test_fast_mode_gives_the_full_checks_verdict_and_diagnosis(cls: type, code: str) -> None:
    entry, kind = entry_for(cls, kind="affine"), KINDS["affine"]

    def failures(mode: str) -> list[tuple[str, str | None, str]]:
        result = check_case(lambda c: adapt(entry, kind, c), kind, build_case(kind, SPEC), mode=mode)
        return [(g.name, g.bug_code, g.diagnosis) for g in result.gradients if not g.passed]

    assert failures("fast") == failures("full") == [("dW", code, failures("full")[0][2])]


def test_fast_mode_checks_a_large_affine_layer_in_a_constant_number_of_forward_calls() -> None:
    entry, kind = REFERENCE["Affine"], KINDS["affine"]
    counts = {}
    for D, M in ((12, 6), (128, 64)):
        calls = [0]

        def make(case: Any) -> Any:
            layer = adapt(entry, kind, case)
            forward = layer.forward

            def counted(x: np.ndarray, t: Any = None) -> np.ndarray:
                calls[0] += 1
                return forward(x, t)

            layer.forward = counted
            return layer

        result = check_case(make, kind, build_case(kind, {"N": 32, "in_shape": (D,), "out": M, "seed": 0}), mode="fast")
        assert result.verdict == "pass"
        assert all(g.method.startswith("projection") for g in result.gradients if g.name != "dx")
        counts[D] = calls[0]
    assert counts[128] <= counts[12] + 4  # x is stacked in chunks; W and b cost the same at any size


def test_a_layer_computing_in_float32_passes_with_float32_steps_and_rounding() -> None:
    x, W, G, dW = _affine(16, 40, 9)
    eps32 = float(np.finfo(np.float32).eps)

    def forward32() -> np.ndarray:
        return (x.astype(np.float32) @ W.astype(np.float32)).astype(np.float64)

    h = np.abs(W).clip(min=np.sqrt(np.mean(W**2))) * eps32 ** (1 / 3)
    assert projected_check(forward32, W, dW, G, rng=0, h=h, eps=eps32, rtol=2e-2).passed
    assert not projected_check(forward32, W, 2 * dW, G, rng=0, h=h, eps=eps32, rtol=2e-2).passed
