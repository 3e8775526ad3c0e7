"""`gradlab bench` and the layer it times: fast tests only, and never an assertion about a timing."""

from __future__ import annotations

import json
import sys

import jsonschema
import numpy as np
import pytest

from gradlab.bench import cases as bench_cases
from gradlab.bench import runner as bench
from gradlab.cases import check_many
from gradlab.cli.main import main
from gradlab.conventions.registry import load_reference
from gradlab.core.numeric import local_evaluator
from gradlab.schemas import schema


@pytest.fixture(scope="module")
def case():
    return bench_cases.composite_case()  # the headline size: N=32, 128 -> 64


def test_bench_quick_runs_without_torch_and_writes_null_torch_seconds(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    # the registry case times check_registry() over a few entries here: the pipeline is what this tests, and the whole
    # registry's check is test_zoo's (one more pass over every entry here would add nothing this test can fail on)
    registry = check_many.check_registry
    monkeypatch.setattr(check_many, "check_registry",
                        lambda **kwargs: registry(**kwargs, only=list(load_reference())[:3]))
    assert main(["bench", "--quick", "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "bench.json").read_text())
    jsonschema.Draft202012Validator(schema("gradlab-bench/1")).validate(results)
    assert results["torch_available"] is False
    assert "pip install torch" in results["torch_hint"]
    names = [c["case"] for c in results["cases"]]
    users = [f"{key}_user_{mode}" for key in ("affine", "conv", "batchnorm") for mode in ("full", "fast")]
    assert names == [*users, "hooked_affine_sigmoid_ce_full", "hooked_affine_sigmoid_ce_fast", "registry",
                     "mnist_epoch"]
    for c in results["cases"]:
        assert c["torch_s"] is None and c["ratio"] is None
        assert c["gradlab_s"] > 0
    for c in results["cases"][:len(users)]:  # the headline: users' layers, with the calls they cost
        assert c["forward_calls"] > 0 and c["backward_calls"] >= 2 and "through its adapter" in c["description"]
    assert "NOT a user's layer" in results["cases"][len(users)]["description"]
    assert all(row["torch_slow_s"] is None for row in results["scaling"])
    report = (tmp_path / "bench.md").read_text()
    assert "pip install torch==2.13.0" in report and "--quick run" in report
    assert "pip install torch" in capsys.readouterr().out


def test_bench_rejects_zero_repeats(tmp_path, capsys):
    assert main(["bench", "--repeats", "0", "--out", str(tmp_path)]) == 2
    assert "--repeats" in capsys.readouterr().err


def test_alternate_times_both_tools_in_turn_and_drops_the_warmup():
    calls: list[str] = []

    def timer(name: str, seconds: float):
        def run() -> float:
            calls.append(name)
            return seconds
        return run

    g, t = bench.alternate(timer("g", 1.0), timer("t", 2.0), repeats=3, warmup=1)
    assert calls == ["g", "t", "t", "g", "g", "t", "t", "g"]
    assert g == [1.0, 1.0, 1.0] and t == [2.0, 2.0, 2.0]
    assert bench.alternate(timer("g", 1.0), None, repeats=2) == ([1.0, 1.0], None)


def test_native_composite_layer_passes_the_full_and_the_fast_check(case):
    for mode in ("full", "fast"):
        result = bench_cases.check_composite(case, mode)
        assert not result.failed, result.describe()
        assert {g.name for g in result.gradients} == {"dx", "dW", "db"}


@pytest.mark.parametrize("target", ["x", "W", "b"])
def test_vectorised_forward_perturbed_gives_the_same_losses_as_the_loop(case, target):
    layer = bench_cases.make_composite()(case)
    x = case.x.copy()
    arr = x if target == "x" else layer.params[target]
    rng = np.random.default_rng(1)
    idx = rng.permutation(arr.size)[:700]  # several sub-chunks, in no particular order
    values = arr.reshape(-1)[idx] + 1e-3 * rng.standard_normal(idx.size)
    looped = local_evaluator(lambda: layer.forward(x, case.t), arr)(idx, values).reshape(-1)
    vectorised = layer.forward_perturbed(target, idx, values, x=x, t=case.t)
    np.testing.assert_allclose(vectorised, looped, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("target", ["x", "W", "b"])
def test_vectorised_forward_replaced_gives_the_same_losses_as_the_loop(case, target):
    layer = bench_cases.make_composite()(case)
    x = case.x.copy()
    arr = x if target == "x" else layer.params[target]
    saved = arr.copy()
    arrays = saved[None] + 1e-3 * np.random.default_rng(2).standard_normal((5, *arr.shape))
    looped = []
    for a in arrays:
        arr[...] = a
        looped.append(float(layer.forward(x, case.t)))
    arr[...] = saved
    np.testing.assert_allclose(layer.forward_replaced(target, arrays, x=x, t=case.t), looped, rtol=1e-12)


@pytest.mark.parametrize("layer_class, code", [(bench_cases.AffineSigmoidCEMissingMean, "missing-batch-mean"),
                                               (bench_cases.AffineSigmoidCETransposed, "transposed")])
@pytest.mark.parametrize("mode", ["full", "fast"])
def test_buggy_composite_is_caught_with_its_code(case, layer_class, code, mode):
    result = bench_cases.check_composite(case, mode, layer_class)
    assert result.failed
    assert code in result.bug_codes
    dW = next(g for g in result.gradients if g.name == "dW")
    assert not dW.passed and dW.bug_code == code
    assert all(g.passed for g in result.gradients if g.name != "dW")


def test_the_ablation_layers_without_the_hooks_pass_too():
    small = bench_cases.composite_case(N=6, D=10, M=7)
    assert not bench_cases.check_composite(small, "full", bench_cases.AffineSigmoidCENoPerturbed).failed
    assert not bench_cases.check_composite(small, "fast", bench_cases.AffineSigmoidCENoReplaced).failed


@pytest.mark.parametrize("key", list(bench_cases.USER_LAYERS))
def test_the_headline_layers_are_users_layers_without_hooks_and_pass_both_modes(key):
    uc = bench_cases.user_case(key)
    layer = uc.make(uc.case)
    assert type(layer).__name__ == "ClassLayer"  # the adapter a user's class-style layer gets
    assert not any(callable(getattr(layer, hook, None)) for hook in ("forward_perturbed", "forward_replaced"))
    for mode in ("full", "fast"):
        result = uc.check(mode)
        assert not result.failed, result.describe()
    assert uc.calls("fast")["forward"] < uc.calls("full")["forward"] < 2 * uc.elements


def test_the_ablation_switches_output_separation_off_and_on_again():
    uc = bench_cases.user_case("affine")
    with bench_cases.element_loop_only():
        loop = uc.calls("full")["forward"]
    # W and b element by element; x stacked (2); an earlier forward on another input, the checked forward,
    # independence; the precision probes (2 on x, 2 on W, b)
    assert loop == 2 * (64 * 128 + 64) + 5 + 4
    assert uc.calls("full")["forward"] < loop // 50


def test_pytorch_checks_the_same_function_as_the_user_layer():
    pytest.importorskip("torch")
    from gradlab.bench import pytorch as bench_torch

    for key in bench_cases.USER_LAYERS:
        uc = bench_cases.user_case(key)
        np.testing.assert_allclose(bench_torch.user_output(uc.entry.name, uc.case), uc.output(), rtol=1e-10,
                                   atol=1e-12)
