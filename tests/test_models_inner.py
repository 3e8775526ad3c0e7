"""A model's crash on its own shapes is localised, and its wrong gradients are named by the layer it calls that
fails alone (gradlab.models.check, gradlab.models.inner, gradlab.models.hints.transposed_data_term). Fixtures:
tests/models/composed_nets.py, a correct TwoLayerNet and one-bug variants of it."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gradlab.models.check import check_model
from gradlab.models.hints import regularisation, transposed_data_term
from gradlab.models.inner import inner_layer_failures

MODELS = Path(__file__).parent / "models"


@pytest.fixture(scope="module")
def nets():
    sys.path.insert(0, str(MODELS))
    try:
        import composed_nets

        yield composed_nets
    finally:
        sys.path.remove(str(MODELS))


def test_the_correct_model_built_from_the_same_layers_passes(nets):
    report = check_model(nets.TwoLayerNet)
    assert report.verdict == "pass", report.explain()
    assert inner_layer_failures(nets.TwoLayerNet) == []


def test_a_swapped_dw_that_crashes_the_model_blames_every_transposed_weight_and_only_them(nets):
    report = check_model(nets.TwoLayerNetSwappedDW)
    assert report.bug_codes == ["crashed", "transposed"], report.explain()
    assert report.blamed == ["W2", "W1"]
    crash = report.findings[0].message
    assert "broadcast" in crash and "where the shapes fit by accident" in crash and "W2, W1 are wrong" in crash


def test_a_crash_on_a_name_is_reported_as_it_is_and_blames_nothing(nets):
    report = check_model(nets.TwoLayerNetBrokenNames)
    assert report.bug_codes == ["crashed"] and report.blamed == []
    assert "undefined_grads" in report.explain()


def test_a_relu_without_its_mask_inside_the_model_is_named_missing_mask_by_its_own_check(nets):
    report = check_model(nets.TwoLayerNetPassthroughRelu)
    assert report.bug_codes == ["missing-mask"], report.explain()
    assert report.blamed == ["W1", "b1"]
    assert "relu_passthrough" in report.gradients["W1"].diagnosis


def test_a_composite_layer_failing_only_through_the_relu_it_calls_is_not_the_one_named(nets):
    failures = inner_layer_failures(nets.TwoLayerNetComposedPassthrough)
    assert [(f.name, f.code) for f in failures] == [("relu_passthrough", "missing-mask")]
    assert check_model(nets.TwoLayerNetComposedPassthrough).bug_codes == ["missing-mask"]


def test_a_square_gradient_whose_data_term_is_transposed_under_a_right_penalty_is_transposed():
    rng = np.random.default_rng(0)
    W, data = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    true = data + 0.1 * W
    found = transposed_data_term(data.T + 0.1 * W, true, W, "dW", 0.1)
    assert found is not None and found[0] == "transposed"
    # neighbours keep their own names: the penalty missing is the regularisation rule's, a right one is nothing
    assert transposed_data_term(data, true, W, "dW", 0.1) is None
    assert regularisation(data, true, W, "dW", 0.1)[0] == "dropped-term"
    assert transposed_data_term(true, true, W, "dW", 0.1) is None
    # a symmetric data term is its own transpose: nothing to tell apart, so no claim
    sym = data + data.T
    assert transposed_data_term(sym + 0.1 * W, sym + 0.1 * W, W, "dW", 0.1) is None


@pytest.fixture(scope="module")
def derivative_nets():
    sys.path.insert(0, str(MODELS))
    try:
        import derivative_nets

        yield derivative_nets
    finally:
        sys.path.remove(str(MODELS))


@pytest.mark.parametrize("name", ["SigmoidNet", "TanhNet"])
def test_models_taking_each_derivative_at_its_own_array_pass(derivative_nets, name):
    report = check_model(getattr(derivative_nets, name))
    assert report.verdict == "pass", report.explain()


@pytest.mark.parametrize("name, said", [("SigmoidNetPrimeOfOutput", "sigmoid function's output where its input"),
                                        ("TanhNetDerivativeOfInput", "pre-activation where the tanh function's output")])
def test_a_derivative_given_the_other_array_is_named_wrong_input_by_a_tested_hypothesis(derivative_nets, name, said):
    report = check_model(getattr(derivative_nets, name))
    assert report.bug_codes == ["wrong-input"], report.explain()
    assert report.blamed == ["W1", "b1"] and said in report.gradients["W1"].diagnosis


def test_a_derivative_wrong_in_another_way_is_not_called_a_wrong_input(derivative_nets):
    report = check_model(derivative_nets.SigmoidNetPrimeSquared)
    assert report.verdict == "fail" and report.blamed == ["W1", "b1"]
    assert "wrong-input" not in report.bug_codes, report.explain()


def test_a_layer_half_kept_under_the_layers_name_is_checked_with_the_other_half():
    from gradlab.reference.models import FullyConnectedNet
    from gradlab.reference.zoo_models_cs231n import FullyConnectedNetBatchnormDgammaOfInput

    assert inner_layer_failures(FullyConnectedNet) == []
    failures = inner_layer_failures(FullyConnectedNetBatchnormDgammaOfInput)
    assert [(f.name, f.code) for f in failures] == [("batchnorm", "wrong-input")]


def test_a_model_keying_its_params_by_tuples_is_checked_under_the_names_they_spell(nets, tmp_path):
    from gradlab.cli.main import main

    assert check_model(nets.TupleKeyedNet).verdict == "pass"
    report = check_model(nets.TupleKeyedNetDoublePenaltyW1)
    assert report.blamed == ["W1"] and list(report.gradients) == ["W2", "b2", "W1", "b1"], report.explain()
    assert "grads[('W', 1)]" in report.gradients["W1"].diagnosis
    out = tmp_path / "r.json"  # the JSON document's keys are strings
    assert main(["check", str(MODELS / "composed_nets.py"), "--only", "TupleKeyedNet", "--json", str(out)]) == 0
