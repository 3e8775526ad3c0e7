"""Layouts and conventions of published course code met on session 24's held-out repositories (issue 10): each
test checks a folder of tests/realcode7/ (this project's own files, written the way those repositories are laid
out, see its README) as a new user would, and next to each fix a variant that must still fail shows the check
could have failed."""

from __future__ import annotations

import sys
from pathlib import Path

from gradlab.cases.check_many import check_paths
from gradlab.conventions.imports import package_of
from gradlab.models.discover import check_model_files

HERE = Path(__file__).parent / "realcode7"


def _check(path: Path, examples: int = 6):
    outcome = check_paths([path], examples=examples, seed=0)
    verdicts = {(r.name, Path(r.source).name): r for r in outcome.reports}
    return outcome, verdicts


def test_a_clone_whose_dashed_root_holds_an_init_file_is_imported_from_that_root_so_its_package_resolves():
    # `numpy-net/__init__.py` cannot make `numpy-net` a package (no import statement can name it): the package
    # is nn/, whose __init__ imports `from nn.layers import ...`, and whose modules import siblings by bare name
    assert package_of(HERE / "numpy-net" / "nn" / "layers.py") == (HERE / "numpy-net", "nn.layers")
    outcome, verdicts = _check(HERE / "numpy-net")
    assert outcome.errors == []
    assert {name for name, _ in verdicts} == {"Affine", "Sigmoid"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}
    assert "nn" not in sys.modules and "activation_math" not in sys.modules  # nothing of the user's left behind


def test_a_copied_common_folder_without_init_that_imports_relatively_is_imported_as_a_namespace_package():
    common = HERE / "01-second-volume" / "common"
    assert package_of(common / "layers.py") == (HERE / "01-second-volume", "common.layers")
    assert package_of(common / "functions.py") is None  # no relative import: a plain module, as before
    outcome, verdicts = _check(HERE / "01-second-volume")
    assert outcome.errors == []
    assert {name for name, _ in verdicts} == {"Affine", "Sigmoid"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values())


def test_python_2_pooling_whose_sizes_are_a_division_of_integers_is_set_aside_as_python_2_code_not_failed():
    outcome, verdicts = _check(HERE / "winter2016")
    assert verdicts == {}
    (name, reason), = [s for s in outcome.skipped if s[0] == "max_pool"]
    assert "written for Python 2" in reason and "xrange" in reason and "//" in reason, reason


def test_the_same_division_in_python_3_code_is_its_own_bug_and_still_fails_as_crashed():
    _, verdicts = _check(HERE / "python3_course")
    report = verdicts[("max_pool", "layers.py")]
    assert report.verdict == "fail" and report.bug_codes == ["crashed"], report.bug_codes
    assert "Python 2" not in str(report.to_dict())


def test_a_first_chapter_layer_whose_backward_is_an_empty_stub_is_not_implemented_yet_not_crashed():
    outcome, verdicts = _check(HERE / "first_chapter")
    skipped = dict(outcome.skipped)
    assert "not implemented yet: backward is empty" in skipped["Sigmoid"]
    assert "not implemented yet: backward is empty" in skipped["Affine"]
    # a backward that takes nothing and returns f' (CMU 11-785's activations compute dA/dZ so, and so does this one,
    # which forgot dout) is checked as dout * f' and warned about: it is no stub, and its derivative is right
    tanh = verdicts[("Tanh", "forward_net.py")]
    assert tanh.verdict == "warn" and "takes nothing and returns the local derivative" in tanh.warnings[0].message


def test_a_name_numpy_never_had_is_the_codes_own_crash_while_a_removed_alias_is_set_aside_as_older_numpy():
    outcome, verdicts = _check(HERE / "gpu_copy")
    embedding = verdicts[("Embedding", "layers.py")]
    assert embedding.verdict == "fail" and embedding.bug_codes == ["crashed"]
    assert "asnumpy" in str(embedding.to_dict()) and "older numpy" not in str(embedding.to_dict())
    reason = dict(outcome.skipped)["Relu"]
    assert "written for an older numpy" in reason and "float" in reason


def test_a_class_whose_forward_returns_a_cache_that_backward_takes_back_is_checked_and_a_wrong_one_caught():
    _, verdicts = _check(HERE / "cache_classes")
    assert verdicts[("Affine", "layers.py")].verdict in ("pass", "warn"), verdicts[("Affine", "layers.py")].bug_codes
    _, buggy = _check(HERE / "cache_classes_buggy")
    assert buggy[("Affine", "layers.py")].verdict == "fail"
    assert buggy[("Affine", "layers.py")].bug_codes == ["scaled"]


def test_a_backward_taking_the_cache_among_arguments_gradlab_cannot_give_is_set_aside_with_the_way_to_check_it():
    outcome, verdicts = _check(HERE / "cache_classes")
    assert ("Relu", "layers.py") not in verdicts
    reason = dict(outcome.skipped)["Relu"]
    assert "backward(x, cache, grad, gradients)" in reason and "assert_backward" in reason


def test_a_loss_reduced_by_its_call_and_a_varargs_backward_is_judged_on_the_reduced_loss():
    _, verdicts = _check(HERE / "cache_classes")
    assert verdicts[("MSE", "layers.py")].verdict in ("pass", "warn"), verdicts[("MSE", "layers.py")].bug_codes
    _, buggy = _check(HERE / "cache_classes_buggy")
    assert buggy[("MSE", "layers.py")].verdict == "fail" and buggy[("MSE", "layers.py")].bug_codes == ["scaled"]


def test_a_library_told_its_shapes_with_parameter_objects_is_built_checked_and_its_bugs_caught():
    # Dense(D_in=(n,), D_out=(m,)) built again with shapes after len() of a number failed; Flatten(D_in) told the
    # shape of one sample; MaxPool2D(filter_shape) given the window; weights.value / weights.gradient read
    outcome, verdicts = _check(HERE / "shaped_library")
    assert {n for n, _ in verdicts} == {"Dense", "Flatten", "MaxPool2D"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}
    assert "weights.gradient" in str(verdicts[("Dense", "layers.py")].to_dict())
    _, buggy = _check(HERE / "shaped_library_buggy")
    assert buggy[("Dense", "layers.py")].bug_codes == ["extra-batch-mean"]
    assert buggy[("MaxPool2D", "layers.py")].bug_codes == ["dropped-term"]


def test_a_constructor_needing_a_shape_gradlab_cannot_know_is_set_aside_naming_it_not_failed_as_crashed():
    outcome, verdicts = _check(HERE / "shaped_library")
    assert ("Conv2D", "layers.py") not in verdicts
    reason = dict(outcome.skipped)["Conv2D"]
    assert "needs output_volume, which gradlab cannot supply" in reason
    assert "filter_shape" not in reason.split("needs")[1]


def test_a_nielsen_port_with_renamed_methods_is_found_as_a_network_and_its_missing_derivative_localised():
    (report,) = check_model_files([HERE / "nielsen_ports"], examples=2, seed=0)
    assert (report.name, report.verdict) == ("NeuralNet", "pass")
    (report,) = check_model_files([HERE / "nielsen_ports_buggy"], examples=2, seed=0)
    assert report.verdict == "fail" and report.bug_codes == ["dropped-term"] and report.origin == "weights[0]"


def test_a_library_whose_top_folder_holds_only_namespace_subfolders_is_imported_from_the_folder_above_it():
    outcome, verdicts = _check(HERE / "editable_install")
    assert outcome.errors == []
    assert verdicts[("Tanh", "layers.py")].verdict == "pass"


def test_a_layer_reshaping_to_a_size_written_in_its_code_is_set_aside_while_a_computed_wrong_size_still_crashes():
    outcome, verdicts = _check(HERE / "mnist_only")
    reason = dict(outcome.skipped)["Affine"]
    assert "written for one input size" in reason and "784" in reason
    sigmoid = verdicts[("Sigmoid", "layers.py")]
    assert sigmoid.verdict == "fail" and sigmoid.bug_codes == ["crashed"]


def test_a_keras_like_library_built_by_a_sizes_classmethod_with_a_keep_probability_is_checked_and_bugs_caught():
    _, verdicts = _check(HERE / "keras_like")
    assert verdicts[("DenseLayer", "layers.py")].verdict in ("pass", "warn")
    assert verdicts[("DropoutLayer", "layers.py")].verdict == "pass"
    _, buggy = _check(HERE / "keras_like_buggy")
    assert buggy[("DenseLayer", "layers.py")].bug_codes == ["extra-batch-mean"]
    assert buggy[("DropoutLayer", "layers.py")].bug_codes == ["missing-mask"]


def test_channels_last_pooling_is_checked_channels_last_while_a_channels_first_one_with_a_wrong_size_still_crashes():
    # (N, C, H, W) read as (n, h, w, c) is still a max over windows on the cases where the sizes fit; the probe on a
    # case whose C, H and W differ tells the layouts apart, and the layer is checked as it is written (since session
    # 31, gradlab.conventions.channels_last; it was set aside as written for channels-last arrays)
    outcome, verdicts = _check(HERE / "keras_like", examples=30)
    assert verdicts[("MaxPoolLayer", "layers.py")].verdict == "pass"
    _, buggy = _check(HERE / "keras_like_buggy")
    # its crash stays (it is not read as channels last); since session 31 a case where its zeros happen to fit is
    # diagnosed too (cases.runs_elsewhere), ahead of the crash
    pooling = buggy[("Pooling", "pool_nchw.py")]
    assert pooling.verdict == "fail" and "crashed" in pooling.bug_codes, pooling.bug_codes


def test_a_file_importing_its_own_folder_by_name_is_a_module_of_that_namespace_package_not_of_the_same_named_file():
    loss = HERE / "self_named" / "loss"
    assert package_of(loss / "mean_squared_error.py") == (HERE / "self_named", "loss.mean_squared_error")
    outcome, verdicts = _check(HERE / "self_named")
    assert outcome.errors == []
    assert verdicts[("Loss_MeanSquaredError", "mean_squared_error.py")].verdict == "pass"
    assert verdicts[("Loss_MeanAbsoluteError", "mean_absolute_error.py")].bug_codes == ["scaled"]


def test_nnfs_style_losses_leaving_their_loss_in_an_attribute_or_unreduced_are_judged_on_the_loss_calculate_takes():
    _, verdicts = _check(HERE / "nnfs_variants")
    assert verdicts[("BCELoss", "losses.py")].verdict == "pass"  # one loss per element, averaged by calculate
    # self.loss_value, a held Softmax; its -log(p) unguarded is warned where a probability underflows to 0, not failed
    held = verdicts[("CategoricalCrossEntropy", "losses.py")]
    assert held.verdict == "warn" and [w.code for w in held.warnings] == ["non-finite"]
    _, buggy = _check(HERE / "nnfs_variants_buggy")
    assert buggy[("BCELoss", "losses.py")].bug_codes == ["scaled"]
    assert buggy[("CategoricalCrossEntropy", "losses.py")].verdict == "fail"


def test_a_loss_holding_an_activation_no_kind_combines_it_with_is_set_aside_naming_the_activation():
    outcome, verdicts = _check(HERE / "nnfs_variants")
    assert ("MeanSquaredError", "losses.py") not in verdicts
    assert "applies Sigmoid before the mse_loss loss" in dict(outcome.skipped)["MeanSquaredError"]
    # a sigmoid held by a binary cross-entropy is the fused loss on logits, a kind of its own: checked, its gradient
    # right; without the clip nnfs's own loss has, log(1 - sigmoid(x)) is -inf at logits in the hundreds (0e1799f)
    bce = verdicts[("BinaryCrossEntropy", "losses.py")]
    assert (bce.verdict, bce.bug_codes) == ("fail", ["non-finite"]) and all(g.passed for g in bce.worst.values())


def test_a_forward_raising_on_purpose_refuses_the_case_as_an_assert_does_while_a_raise_in_backward_still_crashes():
    outcome, verdicts = _check(HERE / "checked_shapes", examples=20)
    affine = verdicts[("Affine", "layers.py")]
    assert affine.verdict == "warn" and "rejected" in str(affine.to_dict()) and "at most 3" in str(affine.to_dict())
    sigmoid = dict(outcome.skipped)["Sigmoid"]
    assert "rejected every case" in sigmoid and "5-D volume" in sigmoid
    tanh = verdicts[("Tanh", "layers.py")]
    assert tanh.verdict == "fail" and tanh.bug_codes == ["crashed"]


def test_a_constructor_not_named_as_the_course_failing_on_gradlabs_guess_is_set_aside_one_named_so_crashes():
    outcome, verdicts = _check(HERE / "shape_args")
    reason = dict(outcome.skipped)["Conv2D"]
    assert "Conv2D(w_shape, b_shape, stride, pad) raised TypeError when given the parameter arrays" in reason
    affine = verdicts[("Affine", "layers.py")]
    assert affine.verdict == "fail" and affine.bug_codes == ["crashed"]


def test_a_file_holding_only_a_library_layer_with_an_unknown_name_is_read_and_the_name_reported_not_passed_over():
    outcome, _ = _check(HERE / "keras_like_conv")
    reasons = dict(outcome.skipped)
    assert "ConvLayer2D" in reasons and "not a layer name gradlab knows" in reasons["ConvLayer2D"]
    assert not any("defines no layer" in r for r in reasons.values())


def test_a_module_of_the_packages_name_imported_earlier_elsewhere_does_not_stand_in_for_it(monkeypatch):
    # another course's `common`, or a test's, already in sys.modules: the folder's own common/ is imported all the same
    import types

    monkeypatch.setitem(sys.modules, "common", types.ModuleType("common"))
    outcome, verdicts = _check(HERE / "01-second-volume")
    assert outcome.errors == []
    assert {name for name, _ in verdicts} == {"Affine", "Sigmoid"}
