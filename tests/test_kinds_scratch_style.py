"""The "neural network from scratch" style (TheIndependentCode, Omar Aflak and their forks), checked as published:
losses as a function and its derivative (`mse(y_true, y_pred)` + `mse_prime(y_true, y_pred)`). The zoo's correct
layers pass and its buggy ones fail with their intended code; tests/scratch_style/ holds our own files in that
convention, `published/` right and `buggy/` with one bug per layer, checked as a new user would."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS

HERE = Path(__file__).parent / "scratch_style"
ZOO = {name: e for name, e in load_reference().items() if e.module.endswith("scratch_style")}
CORRECT = sorted(n for n, e in ZOO.items() if not e.is_buggy)
BUGGY = sorted(n for n, e in ZOO.items() if e.is_buggy)


def _verdicts(path: Path) -> dict:
    outcome = check_paths([path], examples=6, seed=0)
    assert outcome.errors == []
    return {r.name: r for r in outcome.reports}


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_layer_of_the_scratch_style_zoo_passes(name):
    report = check_entry(ZOO[name], examples=12, seed=2)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_layer_of_the_scratch_style_zoo_fails_with_its_intended_code(name):
    report = check_entry(ZOO[name], examples=12, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == ZOO[name].bug, report.bug_codes


def test_loss_function_pairs_as_published_are_found_and_pass():
    verdicts = _verdicts(HERE / "published" / "losses.py")
    assert {n: r.verdict for n, r in verdicts.items() if n in ("mse", "binary_cross_entropy")} == \
        {"mse": PASS, "binary_cross_entropy": PASS}


def test_loss_function_pairs_with_a_bug_fail_with_its_code():
    verdicts = _verdicts(HERE / "buggy" / "losses.py")
    # the mean's 1/size forgotten: N * D times too large, missing-batch-mean since session 31 (was scaled)
    assert verdicts["mse"].verdict == FAIL and verdicts["mse"].bug_codes == ["missing-batch-mean"]
    assert verdicts["binary_cross_entropy"].verdict == FAIL and verdicts["binary_cross_entropy"].bug_codes == \
        ["sign-flip"]


def test_a_loss_pair_takes_its_arguments_in_the_order_their_names_say(tmp_path):
    # predictions first: fed the other way round, a correct pair would fail as sign-flip
    (tmp_path / "loss.py").write_text(textwrap.dedent("""
        import numpy as np

        def mse(predictions, targets):
            return np.mean((predictions - targets) ** 2)

        def mse_derivative(predictions, targets):
            return 2 * (predictions - targets) / predictions.size
    """))
    assert _verdicts(tmp_path / "loss.py")["mse"].verdict == PASS


def test_a_loss_alone_with_no_derivative_next_to_it_is_still_set_aside_not_failed(tmp_path):
    (tmp_path / "loss.py").write_text("import numpy as np\n\ndef binary_cross_entropy(y, p):\n"
                                      "    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))\n")
    (found,) = discover([tmp_path / "loss.py"])
    assert found.entries == [] and "returns only the loss" in dict(found.skipped)["binary_cross_entropy"]


def test_a_folder_holding_only_loss_pairs_is_read():
    (found,) = [f for f in discover([HERE / "published"]) if f.path.endswith("losses.py")]
    assert {e.name for e in found.entries} >= {"mse", "binary_cross_entropy"}


def test_reshape_layers_of_both_conventions_as_published_pass():
    # one sample with no batch axis (the videos' Reshape(input_shape, output_shape)), and one sample's shapes with
    # the batch axis kept
    verdicts = _verdicts(HERE / "published" / "reshape.py")
    assert {n: r.verdict for n, r in verdicts.items()} == {"Reshape": PASS, "ReshapeLayer": PASS}


def test_reshape_layers_with_a_bug_fail_with_its_code():
    verdicts = _verdicts(HERE / "buggy" / "reshape.py")
    assert {n: (r.verdict, r.bug_codes) for n, r in verdicts.items()} == \
        {"Reshape": (FAIL, ["transposed"]), "ReshapeLayer": (FAIL, ["wrong-shape"])}


KERAS_LIKE = Path(__file__).parent / "keras_like"


def test_keras_like_max_pooling_and_cce_loss_classes_are_recognised_and_pass():
    verdicts = _verdicts(KERAS_LIKE / "published")
    assert {n: r.verdict for n, r in verdicts.items()} == \
        {"MaxPooling2D": PASS, "CategoricalCrossEntropyLoss": "warn", "CCELoss": "warn", "Flatten": PASS}
    # the warning is the label encoding it takes (one-hot only), not its gradient
    assert all(r.bug_codes == [] for r in verdicts.values())
    # a Flatten of one image, no batch axis: it crashed on batches ("forward returned shape (24,)")
    assert verdicts["Flatten"].detected_layout == "single arrays, no batch axis"


def test_keras_like_classes_with_a_bug_fail_with_its_code():
    verdicts = _verdicts(KERAS_LIKE / "buggy")
    assert {n: (r.verdict, r.bug_codes[:1]) for n, r in verdicts.items()} == {
        "MaxPooling2D": (FAIL, ["dropped-term"]), "CategoricalCrossEntropyLoss": (FAIL, ["missing-batch-mean"]),
        "CCELoss": (FAIL, ["missing-batch-mean"]), "Flatten": (FAIL, ["transposed"])}


def test_a_convolution_of_one_image_with_a_bias_per_output_position_passes_as_published():
    # the videos' Convolutional(input_shape, kernel_size, depth) on (C, H, W) with scipy's correlate2d: it refused
    # every batch, and is checked one image at a time, its update at learning rate 1 read as its gradient
    report = _verdicts(HERE / "published" / "convolutional.py")["Convolutional"]
    assert report.verdict == PASS and report.detected_layout == "single arrays, no batch axis"
    assert set(report.to_dict()["gradients"]) == {"dx", "dkernels", "dbiases"}


def test_a_convolution_of_one_image_whose_input_gradient_is_not_a_convolution_fails_as_misrouted():
    report = _verdicts(HERE / "buggy" / "convolutional.py")["Convolutional"]
    assert report.verdict == FAIL and report.bug_codes == ["misrouted"]


def test_a_layer_that_crashes_on_batches_and_on_single_arrays_still_reports_its_crash(tmp_path):
    (tmp_path / "layer.py").write_text(textwrap.dedent("""
        class Flatten:
            def forward(self, x):
                raise RuntimeError("not written yet")

            def backward(self, dout):
                return dout
    """))
    report = _verdicts(tmp_path / "layer.py")["Flatten"]
    assert report.verdict == FAIL and report.bug_codes == ["crashed"] and report.detected_layout is None


def test_a_layer_taking_no_batch_axis_is_never_handed_a_batch_of_more_than_one():
    from gradlab.conventions.unbatched import UnbatchedLayer
    from gradlab.core.protocol import LayerCrash

    class Inner:
        params: dict = {}

        def forward(self, x, t=None):
            return x * 2

        def backward(self, dout):
            return dout * 2, {}

    layer = UnbatchedLayer(Inner())
    assert layer.forward(np.ones((1, 3))).shape == (1, 3)
    with pytest.raises(LayerCrash, match="batches of one"):
        layer.forward(np.ones((2, 3)))


def test_layers_with_forward_propagation_and_backward_propagation_are_called_so_and_pass():
    # Omar Aflak's article: one sample as a row, the update inside backward_propagation read at learning rate 1
    outcome = check_paths([HERE / "published" / "propagation.py"], examples=6, seed=0)
    verdicts = {r.name: r for r in outcome.reports}
    assert {n: r.verdict for n, r in verdicts.items()} == {"FCLayer": "warn", "FlattenLayer": PASS}
    assert verdicts["FCLayer"].bug_codes == [] and verdicts["FCLayer"].detected_layout == "rows, one sample at a time"
    # a channels-last convolution is another layout: set aside and said so, not failed
    assert "channels last" in dict(outcome.skipped)["ConvLayer"]


def test_a_propagation_layer_computing_dx_with_updated_weights_fails_as_stale_parameters():
    report = _verdicts(HERE / "buggy" / "propagation.py")["FCLayer"]
    assert report.verdict == FAIL and report.bug_codes[0] == "stale-parameters"


def test_activation_functions_with_their_derivative_next_to_them_are_layers_and_pass():
    # tanh(x) + tanh_prime(x); sigmoid(z) + sigmoid_derivative(s), whose argument is named as the output and is
    # given the output, as its callers do (given z it would fail as wrong-input)
    verdicts = _verdicts(HERE / "published" / "activations.py")
    assert {n: r.verdict for n, r in verdicts.items()} == {"tanh": PASS, "sigmoid": PASS, "relu": PASS}


def test_activation_derivatives_with_a_bug_fail_with_its_code():
    verdicts = _verdicts(HERE / "buggy" / "activations.py")
    assert {n: (r.verdict, r.bug_codes) for n, r in verdicts.items()} == {
        # s * (1 + s): one term's sign flipped, named sign-flip since d60388d (more precise than mismatch)
        "tanh": (FAIL, ["mismatch"]), "sigmoid": (FAIL, ["sign-flip"]), "relu": (FAIL, ["misrouted"])}


def test_a_function_named_like_an_activation_with_no_derivative_beside_it_is_not_a_layer(tmp_path):
    (tmp_path / "helpers.py").write_text("import numpy as np\n\ndef sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n")
    (found,) = discover([tmp_path / "helpers.py"])
    assert found.entries == []


CMU = Path(__file__).parent / "cmu_style"


def test_a_one_d_convolution_storing_dLdW_and_dLdb_passes_and_one_passing_its_calls_on_is_set_aside():
    outcome = check_paths([CMU / "published" / "conv1d.py"], examples=6, seed=0)
    (report,) = outcome.reports
    assert report.name == "Conv1d_stride1" and report.verdict == PASS
    assert set(report.to_dict()["gradients"]) == {"dx", "dW", "db"}  # read from self.dLdW and self.dLdb
    # Conv1d keeps its W in self.conv1d_stride1: not failed for a parameter it does not keep itself
    assert "self.conv1d_stride1" in dict(outcome.skipped)["Conv1d"]


def test_a_one_d_convolution_whose_bias_gradient_keeps_the_batch_axis_fails_as_wrong_reduction():
    report = _verdicts(CMU / "buggy" / "conv1d.py")["Conv1d_stride1"]
    assert report.verdict == FAIL and report.bug_codes == ["wrong-reduction"]


def test_a_conv2d_built_from_input_shape_kernel_size_and_depth_on_one_image_passes():
    # Conv2D(input_shape, kernel_size, depth) with one bias per filter: depth is its number of filters, and a
    # layer with no padding argument is given no padded case (its windows would not fit)
    report = _verdicts(HERE / "published" / "conv2d.py")["Conv2D"]
    assert report.verdict in (PASS, "warn") and report.bug_codes == []
    assert report.detected_layout == "single arrays, no batch axis"
    assert all("padding" in w.message or "square" in w.message for w in report.warnings)


def test_a_conv2d_on_one_image_whose_bias_gradient_sums_over_the_filters_fails_as_wrong_reduction():
    report = _verdicts(HERE / "buggy" / "conv2d.py")["Conv2D"]
    assert report.verdict == FAIL and report.bug_codes[0] == "wrong-reduction", report.bug_codes


def test_derivatives_spelled_derive_or_with_a_d_prefix_are_found_and_arguments_named_true_pred_are_read_so(tmp_path):
    (tmp_path / "funcs.py").write_text(textwrap.dedent("""
        import numpy as np

        def mse(true, pred):
            return np.mean((true - pred) ** 2)

        def mse_derive(true, pred):
            return 2 * (pred - true) / np.size(true)

        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def d_sigmoid(x):
            s = 1 / (1 + np.exp(-x))
            return s * (1 - s)
    """))
    verdicts = _verdicts(tmp_path / "funcs.py")
    assert {n: r.verdict for n, r in verdicts.items()} == {"mse": PASS, "sigmoid": PASS}
