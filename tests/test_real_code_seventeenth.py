"""Conventions of published code met in the seventeenth round of real code: nnfs's regularised dense layer, whose
backward adds its own weight penalty's gradient (tests/realcode17, files of our own in those conventions)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

HERE = Path(__file__).parent / "realcode17"
DENSE = (HERE / "nnfs_regularised_dense.py").read_text(encoding="utf-8")


def _check(tmp_path: Path, source: str) -> dict:
    (tmp_path / "layers.py").write_text(source, encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(tmp_path / "layers.py"), "--examples", "8", "--no-fix-search", "--json", str(out)])
    [layer] = json.loads(out.read_text(encoding="utf-8"))["layers"]
    return layer


def _slip(old: str, new: str) -> str:
    assert DENSE.count(old) == 1, old
    return DENSE.replace(old, new)


def test_an_nnfs_dense_layer_with_all_four_penalties_passes_built_with_non_zero_strengths(tmp_path):
    layer = _check(tmp_path, DENSE)
    # a warning only that the layer does not flatten images, as nnfs's does not
    assert layer["verdict"] in ("pass", "warn") and not layer["bug_codes"], layer["bug_codes"]


@pytest.mark.parametrize(("old", "new", "code", "words"), [
    ("self.dweights += 2 * self.weight_regularizer_l2 * self.weights",
     "self.dweights += self.weight_regularizer_l2 * self.weights", "scaled",
     "whose gradient is 2 * weight_regularizer_l2 * weights"),
    ("self.dweights += self.weight_regularizer_l1 * dL1", "pass", "dropped-term",
     "dweights lacks the penalty's gradient weight_regularizer_l1 * sign(weights)"),
    ("self.dbiases += 2 * self.bias_regularizer_l2 * self.biases",
     "self.dbiases -= 2 * self.bias_regularizer_l2 * self.biases", "scaled",
     "dbiases adds -2 * bias_regularizer_l2 * biases"),
], ids=["l2-without-its-2", "l1-dropped", "bias-l2-subtracted"])
def test_a_slip_in_a_penalty_term_fails_and_names_the_term_and_its_strength(tmp_path, old, new, code, words):
    layer = _check(tmp_path, _slip(old, new))
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"][0] == code, layer["bug_codes"]
    said = " ".join(g.get("diagnosis") or "" for g in layer["gradients"].values())
    assert words in said and "gradlab built the layer with" in said, said


def test_the_penalty_term_without_its_2_gets_the_verified_fix_that_puts_it_back(tmp_path):
    (tmp_path / "layers.py").write_text(_slip("self.dweights += 2 * self.weight_regularizer_l2 * self.weights",
                                              "self.dweights += self.weight_regularizer_l2 * self.weights"))
    out = tmp_path / "out.json"
    main(["check", str(tmp_path / "layers.py"), "--examples", "8", "--json", str(out)])
    [layer] = json.loads(out.read_text(encoding="utf-8"))["layers"]
    assert layer["fix"]["status"] == "verified", layer["fix"]
    assert "2 * self.weight_regularizer_l2 * self.weights" in layer["fix"]["diff"], layer["fix"]


LONE = Path(__file__).parent / "realcode17" / "lone_column_norm"


@pytest.mark.parametrize(("slip", "verdict", "codes"), [
    ("", "pass", []),
    (" - dXn.sum(axis=1, keepdims=True)", "fail", ["dropped-term"]),
], ids=["right", "mean-path-dropped"])
def test_a_column_batch_norm_alone_in_its_file_is_checked_as_columns_by_its_parameter_gradients(
        tmp_path, slip, verdict, codes):
    # the slip: the mean's path dropped from dX (the right file with that term taken out)
    source = (LONE / "batchnorm_columns.py").read_text(encoding="utf-8")
    assert not slip or source.count(slip) == 1
    (tmp_path / "batchnorm.py").write_text(source.replace(slip, "") if slip else source, encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(tmp_path / "batchnorm.py"), "--examples", "8", "--no-fix-search", "--json", str(out)])
    [layer] = json.loads(out.read_text(encoding="utf-8"))["layers"]
    assert (layer["verdict"], layer["bug_codes"]) == (verdict, codes)
    assert "its parameter gradients" in layer["detected_layout"]


def test_a_column_batch_norm_alone_whose_dgamma_lost_its_keepdims_is_checked_as_columns_and_fails_wrong_shape(
        tmp_path):
    # dbeta still a column (rows, 1), dgamma the same sum flat (rows,): the file is still written for columns
    source = (LONE / "batchnorm_columns.py").read_text(encoding="utf-8")
    right = "self.dgamma = np.sum(dY * self.Xn, axis=1, keepdims=True)"
    assert source.count(right) == 1
    (tmp_path / "batchnorm.py").write_text(source.replace(right, "self.dgamma = np.sum(dY * self.Xn, axis=1)"))
    out = tmp_path / "out.json"
    main(["check", str(tmp_path / "batchnorm.py"), "--examples", "8", "--no-fix-search", "--json", str(out)])
    [layer] = json.loads(out.read_text(encoding="utf-8"))["layers"]
    assert (layer["verdict"], layer["bug_codes"]) == ("fail", ["wrong-shape"])
    assert "its parameter gradients" in layer["detected_layout"]


def test_a_rows_batch_norm_normalising_each_sample_over_its_features_stays_a_rows_bug(tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(LONE / "batchnorm_rows_over_features.py"), "--examples", "8", "--no-fix-search", "--json",
          str(out)])
    [layer] = json.loads(out.read_text(encoding="utf-8"))["layers"]
    assert layer["verdict"] == "fail" and layer["bug_codes"][0] == "couples-samples"
    assert layer["detected_layout"] is None


USED = Path(__file__).parent / "realcode17" / "used_layers"


def _layers(tmp_path: Path, path: Path) -> dict[str, dict]:
    out = tmp_path / "out.json"
    main(["check", str(path), "--examples", "8", "--no-fix-search", "--json", str(out)])
    return {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))["layers"]}


def _findings(layer: dict) -> str:
    return " ".join(f["message"] for f in (layer.get("failing_case") or {}).get("findings", []))


def test_a_layer_building_a_failing_softmax_of_its_file_leads_with_the_softmaxs_code_and_says_fix_it_first(tmp_path):
    layers = _layers(tmp_path, USED / "softmax_inside.py")
    assert layers["Softmax"]["bug_codes"] == ["couples-samples"]
    attention = layers["AttentionWeight"]
    assert attention["bug_codes"][0] == "couples-samples", attention["bug_codes"]
    assert "uses Softmax, which fails couples-samples: fix Softmax first" in _findings(attention)
    assert "uses" not in _findings(layers["Softmax"])


def test_a_sandwich_layer_of_another_file_of_the_package_says_which_layer_of_layers_py_to_fix_first(tmp_path):
    layers = _layers(tmp_path, USED / "cs231n_pkg")
    assert layers["relu"]["verdict"] == "pass"
    assert "uses affine, which fails extra-batch-mean: fix affine first" in _findings(layers["affine_relu"])


def test_a_layer_using_only_passing_layers_is_read_on_its_own_numbers(tmp_path):
    source = (USED / "softmax_inside.py").read_text(encoding="utf-8")
    fixed = source.replace("np.sum(dx, axis=0, keepdims=True)", "np.sum(dx, axis=1, keepdims=True)")
    slipped = fixed.replace("return dt * hr, np.sum(dt * hs, axis=1)", "return dt * hr, np.sum(dt * hs, axis=0)")
    (tmp_path / "attention.py").write_text(slipped, encoding="utf-8")
    layers = _layers(tmp_path, tmp_path / "attention.py")
    assert layers["Softmax"]["verdict"] == "pass"
    assert layers["AttentionWeight"]["verdict"] == "fail" and "uses" not in _findings(layers["AttentionWeight"])


def test_a_column_batch_norm_whose_forward_variance_is_unbiased_is_named_by_its_kind_in_its_own_layout(tmp_path):
    # the kind reads dx in gradlab's orientation (ColumnsLayer.gradlab_view), so its path-by-path reading applies
    source = (LONE / "batchnorm_columns.py").read_text(encoding="utf-8")
    layer = _check(tmp_path, source.replace("X.var(axis=1, keepdims=True)", "X.var(axis=1, keepdims=True, ddof=1)"))
    assert layer["bug_codes"] == ["scaled"], layer["bug_codes"]
    assert "(M − 1)/M times the true one" in layer["gradients"]["dx"]["diagnosis"]


def test_a_fix_of_one_activation_strings_branch_never_breaks_the_branch_of_another_string(tmp_path):
    # one function, two layers (linear_activation[relu], [sigmoid]): an edit making relu pass by calling the sigmoid
    # helper's backward the other way round would make sigmoid fail, and is no fix
    path = tmp_path / "layers.py"
    path.write_text((HERE / "dlai_relu_branch_calls_sigmoid.py").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(path), "--examples", "8", "--json", str(out)])
    layers = {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))["layers"]}
    relu = layers["linear_activation[relu]"]
    assert relu["verdict"] == "fail" and layers["linear_activation[sigmoid]"]["verdict"] == "pass"
    if relu["fix"]["status"] == "verified":  # then applying it leaves every layer of the file right
        assert main(["check", str(path), "--only", "linear_activation[relu]", "--examples", "8", "--fix"]) == 0
        again = tmp_path / "again.json"
        main(["check", str(path), "--examples", "8", "--no-fix-search", "--json", str(again)])
        assert all(r["verdict"] != "fail" for r in json.loads(again.read_text(encoding="utf-8"))["layers"])
    else:
        assert relu["fix"]["status"] == "none-found"


CTX = (Path(__file__).parent / "realcode17" / "ctx_settings" / "functions.py").read_text(encoding="utf-8")


def test_custom_functions_returning_none_for_a_setting_and_a_loss_taking_its_target_pass(tmp_path):
    (tmp_path / "functions.py").write_text(CTX, encoding="utf-8")
    layers = _layers(tmp_path, tmp_path / "functions.py")
    assert {n: r["verdict"] for n, r in layers.items()} == {
        "SoftplusFunction": "pass", "ELUFunction": "pass", "MSELossFunction": "pass"}


@pytest.mark.parametrize(("old", "new", "name", "code"), [
    ("ctx.alpha * np.exp(np.minimum(x, 0))), None", "np.exp(np.minimum(x, 0))), None", "ELUFunction", "scaled"),
    ("2.0 * diff / diff.size, None", "2.0 * diff, None", "MSELossFunction", "missing-batch-mean"),
], ids=["elu-alpha-left-out", "mse-mean-left-out"])
def test_a_slip_in_a_custom_function_fails_with_its_code_even_one_hidden_at_a_settings_default(
        tmp_path, old, new, name, code):
    # an ELU's alpha is 1 by default, where a backward leaving it out is right: gradlab gives another (own_settings)
    assert CTX.count(old) == 1
    (tmp_path / "functions.py").write_text(CTX.replace(old, new), encoding="utf-8")
    layer = _layers(tmp_path, tmp_path / "functions.py")[name]
    assert layer["verdict"] == "fail" and layer["bug_codes"][0] == code, layer["bug_codes"]


def test_a_column_softmax_loss_taking_one_hot_columns_beside_column_layers_passes_on_one_hot_labels(tmp_path):
    # a loss function is handed class indices (CS231n's softmax_loss(x, y)); one that crashes on them (m =
    # Y.shape[1]) gets the one-hot labels, here as columns (C, m), as its file's other layers take samples
    layers = _layers(tmp_path, Path(__file__).parent / "realcode17" / "dlai_one_hot" / "utils.py")
    assert layers["linear"]["verdict"] == "pass"
    loss = layers["softmax_cross_entropy_loss"]
    # warnings only: it takes one-hot labels only, and -log(p) of an underflowed softmax is inf (as the course's is)
    assert loss["verdict"] == "warn" and not loss["bug_codes"], loss["bug_codes"]
    assert loss["detected_layout"].startswith("columns")
    assert any("accepts only onehot labels" in w["message"] for w in loss["warnings"])


NNFS_DROPOUT = (Path(__file__).parent / "realcode17" / "nnfs_dropout.py").read_text(encoding="utf-8")


def test_a_dropout_with_no_evaluation_mode_passes_inverted_and_fails_scaled_when_it_does_not_scale(tmp_path):
    assert _check(tmp_path, NNFS_DROPOUT)["verdict"] == "pass"
    unscaled = NNFS_DROPOUT.replace("size=inputs.shape) / self.rate", "size=inputs.shape)")
    layer = _check(tmp_path, unscaled)
    # its backward is right for its forward: only the law of a dropout without an evaluation mode shows it
    assert layer["bug_codes"] == ["scaled"], layer["bug_codes"]


DEEP = (Path(__file__).parent / "realcode17" / "dlai_deep" / "deep_net.py").read_text(encoding="utf-8")


def _models(tmp_path: Path, source: str) -> dict[str, dict]:
    (tmp_path / "deep_net.py").write_text(source, encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(tmp_path / "deep_net.py"), "--no-fix-search", "--json", str(out)])
    return {m["name"]: m for m in json.loads(out.read_text(encoding="utf-8"))["layers"] if m["kind"] == "model"}


def test_deeplearning_ais_l_layer_functions_are_checked_as_one_model_that_passes(tmp_path):
    models = _models(tmp_path, DEEP)
    assert models["L_model"]["verdict"] == "pass", models["L_model"]


@pytest.mark.parametrize(("old", "new", "code"), [
    ("dAL = -(np.divide(Y, AL) - np.divide(1 - Y, 1 - AL))", "dAL = np.divide(Y, AL) - np.divide(1 - Y, 1 - AL)",
     "sign-flip"),
    ('linear_activation_backward(grads["dA" + str(layer + 1)], caches[layer], "relu")',
     'linear_activation_backward(grads["dA" + str(layer + 1)], caches[layer], "sigmoid")', "mismatch"),
], ids=["dAL-sign", "hidden-as-sigmoid"])
def test_a_slip_in_l_model_backward_fails_the_l_model(tmp_path, old, new, code):
    assert DEEP.count(old) == 1
    model = _models(tmp_path, DEEP.replace(old, new))["L_model"]
    assert model["verdict"] == "fail" and model["bug_codes"][0] == code, model["bug_codes"]


FLOWS = Path(__file__).parent / "realcode17" / "shown_where_it_flows"
HINGE = '''import numpy as np


def binary_hinge_loss(x, y):
    N = x.shape[0]
    margin = 1 - y * x
    return np.sum(np.maximum(0, margin)) / N, np.where(margin > 0, -y, 0.0) / N
'''


@pytest.mark.parametrize(("source", "name"), [
    ((FLOWS / "conv_stride1.py").read_text(encoding="utf-8"), "Conv2d_stride1"),
    (HINGE.replace("np.where(margin > 0", "np.where(margin < 0"), "binary_hinge_loss"),
], ids=["conv-dout-padded-by-K", "hinge-gradient-at-satisfied-margins"])
def test_a_gradient_all_zero_on_the_smallest_case_only_is_named_where_it_flows(tmp_path, source, name):
    # the smallest case (a 1x1 kernel; one sample outside the margin) gives all zeros, which misstates the slip:
    # larger cases in the layer's own geometry (no padding) show the gradient moved, or sent to the wrong samples
    (tmp_path / "layer.py").write_text(source, encoding="utf-8")
    layer = _layers(tmp_path, tmp_path / "layer.py")[name]
    assert layer["bug_codes"] == ["misrouted"], layer["bug_codes"]


def test_the_right_hinge_loss_passes(tmp_path):
    (tmp_path / "layer.py").write_text(HINGE, encoding="utf-8")
    assert _layers(tmp_path, tmp_path / "layer.py")["binary_hinge_loss"]["verdict"] == "pass"
