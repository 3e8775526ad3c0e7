"""Conventions of published code that session 25's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach8/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main

HERE = Path(__file__).parent / "reach8"


def _check(path: Path, examples: int = 3):
    outcome = check_paths([path], examples=examples, seed=0)
    return outcome, {r.name: r for r in outcome.reports}


def test_a_file_importing_ipythons_debugger_is_imported_and_its_layers_pass():
    # `from IPython import embed` at the top of a learner's layers.py (IPython is not installed here)
    outcome, verdicts = _check(HERE / "ipython_breakpoint")
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"affine": "pass", "relu": "pass"}
    assert "IPython" not in sys.modules  # lent while the file is imported, then taken back


def test_layers_beside_an_ipython_import_still_fail_with_the_code_of_their_bug():
    outcome, verdicts = _check(HERE / "ipython_breakpoint_buggy")
    assert outcome.errors == []
    assert verdicts["relu"].verdict == "fail" and verdicts["relu"].bug_codes == ["scaled"]
    assert verdicts["affine"].verdict == "fail" and "crashed" not in verdicts["affine"].bug_codes


def test_a_library_importing_itself_by_name_inside_a_repository_folder_that_is_a_package_is_imported():
    # lib/ has an __init__.py and holds tinynet/, whose modules do `from tinynet.ops.activations import sigmoid`
    outcome, verdicts = _check(HERE / "package_root_inside")
    assert outcome.errors == []
    assert set(verdicts) == {"Sigmoid", "Dense"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}


def test_the_same_library_with_a_bug_in_each_layer_fails_both():
    outcome, verdicts = _check(HERE / "package_root_inside_buggy")
    assert outcome.errors == []
    assert verdicts["Sigmoid"].verdict == "fail" and "crashed" not in verdicts["Sigmoid"].bug_codes
    assert verdicts["Dense"].verdict == "fail" and verdicts["Dense"].bug_codes == ["scaled"]


def test_classes_without_parameters_sharing_a_parametrised_kinds_name_are_set_aside_with_why_not_failed():
    outcome, verdicts = _check(HERE / "parameter_free")
    assert "Linear" not in verdicts
    reasons = dict(outcome.skipped)
    assert "takes and keeps no array" in reasons["Linear"] and "not an affine layer" in reasons["Linear"]
    # since session 31 a layer norm with no gamma and beta is checked as one that only normalises
    # (Kind.without_params), on dx alone, and this right one passes
    assert verdicts["LayerNorm"].verdict == "pass" and "LayerNorm" not in reasons


def test_a_layer_given_its_weights_that_never_keeps_them_still_fails():
    _, verdicts = _check(HERE / "parameter_free_buggy")
    assert verdicts["Linear"].verdict == "fail"


def test_parameter_dicts_read_by_the_authors_own_key_names_are_given_them_and_pass():
    # conv_param['padding'] and pool_param['pool_stride'], where the course writes 'pad' and 'stride'
    outcome, verdicts = _check(HERE / "param_key_spellings")
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"conv": "pass", "max_pool": "pass"}


def test_convolution_and_pooling_read_by_those_keys_still_fail_with_the_code_of_their_bug():
    _, verdicts = _check(HERE / "param_key_spellings_buggy")
    assert verdicts["conv"].verdict == "fail" and verdicts["conv"].bug_codes == ["scaled"]
    assert verdicts["max_pool"].verdict == "fail" and "crashed" not in verdicts["max_pool"].bug_codes


def test_a_forward_and_its_backward_each_alone_in_a_file_named_after_it_are_checked_as_one_layer():
    # deeplearning.ai's exports: linear_forward.py beside linear_backward.py, relu.py beside relu_backward.py
    outcome, verdicts = _check(HERE / "one_function_a_file")
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"linear": "pass", "relu": "pass"}
    reasons = dict(outcome.skipped)
    assert "its forward, linear_forward, is in linear_forward.py" in reasons["linear_backward"]


def test_the_same_files_with_a_bug_in_each_backward_fail_with_its_code():
    _, verdicts = _check(HERE / "one_function_a_file_buggy")
    assert verdicts["linear"].verdict == "fail" and verdicts["linear"].bug_codes == ["missing-batch-mean"]
    assert verdicts["relu"].verdict == "fail" and verdicts["relu"].bug_codes == ["misrouted"]


def test_a_parameter_listed_in_params_but_read_by_forward_under_another_name_is_the_one_gradlab_sets():
    # self.b (not a name gradlab knows for beta) is params[1]; forward reads self.b, so both must hold gradlab's beta
    outcome, verdicts = _check(HERE / "listed_under_other_names")
    assert outcome.errors == [] and verdicts["LayerNorm"].verdict == "pass", verdicts["LayerNorm"].bug_codes


def test_that_layer_with_its_shift_gradient_divided_by_n_fails_as_an_extra_batch_mean():
    _, verdicts = _check(HERE / "listed_under_other_names_buggy")
    assert verdicts["LayerNorm"].verdict == "fail" and verdicts["LayerNorm"].bug_codes == ["extra-batch-mean"]


def test_a_combined_loss_whose_labels_come_to_backward_only_is_set_aside_not_crashed():
    outcome, verdicts = _check(HERE / "labels_in_backward")
    assert "SoftmaxCategoricalCrossEntropy" not in verdicts
    assert "forward takes no labels and returns no loss" in dict(outcome.skipped)["SoftmaxCategoricalCrossEntropy"]


def test_a_combined_loss_taking_its_labels_in_forward_is_still_checked_and_its_missing_mean_caught():
    _, verdicts = _check(HERE / "labels_in_backward_buggy")
    result = verdicts["SoftmaxCategoricalCrossEntropy"]
    assert result.verdict == "fail" and result.bug_codes == ["missing-batch-mean"]


def test_an_alternative_backward_of_a_forward_that_needs_more_arguments_is_set_aside_like_its_forward():
    outcome, verdicts = _check(HERE / "extra_forward_args")
    assert verdicts == {}
    reasons = dict(outcome.skipped)
    assert "also requires layer_index, history" in reasons["batchnorm"] == reasons["batchnorm_alt"]


def test_an_alternative_backward_of_a_forward_of_the_courses_signature_is_still_checked_and_failed():
    _, verdicts = _check(HERE / "extra_forward_args_buggy")
    assert verdicts["batchnorm"].verdict == "pass"
    assert verdicts["batchnorm_alt"].verdict == "fail" and verdicts["batchnorm_alt"].bug_codes == ["scaled"]


def test_a_layer_written_for_its_librarys_own_matrix_type_could_not_be_run_and_says_why():
    outcome, verdicts = _check(HERE / "own_matrix")
    assert verdicts == {}
    assert "written for its own array type (Matrix, whose .map()" in dict(outcome.skipped)["ReLU"]


def test_a_numpy_layer_calling_a_method_arrays_do_not_have_still_fails_as_crashed():
    _, verdicts = _check(HERE / "own_matrix_buggy")
    assert verdicts["ReLU"].verdict == "fail" and verdicts["ReLU"].bug_codes == ["crashed"]


def test_a_sandwich_taking_one_dict_of_its_own_in_place_of_the_courses_two_is_set_aside_with_its_signature():
    outcome, verdicts = _check(HERE / "own_param_dict")
    assert verdicts == {}
    reason = dict(outcome.skipped)["conv_relu_pool"]
    assert "takes (x, w, b, sandwich_param)" in reason and "(x, w, b, conv_param, pool_param)" in reason


def test_a_forward_that_lost_one_of_the_courses_arguments_still_fails_as_crashed():
    _, verdicts = _check(HERE / "own_param_dict_buggy")
    assert verdicts["affine"].verdict == "fail" and verdicts["affine"].bug_codes == ["crashed"]


def _check_models(capsys, tmp_path, folder: Path) -> tuple[str, dict[str, str]]:
    out = tmp_path / "check.json"
    main(["check", str(folder), "--no-fix-search", "--examples", "2", "--json", str(out)])
    doc = json.loads(out.read_text())
    return capsys.readouterr().out, {e["name"]: e["verdict"] for e in doc["layers"] if e.get("kind") == "model"}


def test_a_model_whose_list_arguments_gradlab_gave_as_one_number_is_not_checked_rather_than_failed(capsys, tmp_path):
    # kingtaurus/cs231n's ConvNet(num_filters=[32, 32], filter_size=[7, 7]): gradlab's guess, not the user's bug
    said, verdicts = _check_models(capsys, tmp_path, HERE / "model_list_defaults")
    assert verdicts == {} and "FAIL" not in said
    assert "SKIP ConvNet:" in said and "one number where the default is a list" in said


def test_a_model_whose_constructor_fails_on_numbers_it_takes_is_still_failed(capsys, tmp_path):
    said, verdicts = _check_models(capsys, tmp_path, HERE / "model_list_defaults_buggy")
    assert verdicts == {"TwoLayerNet": "fail"}, said


def _with_python_2_helper(tmp_path: Path) -> Path:
    # the helper is written here, not kept in the repository: Python 2 code would trip tools that compile tests/
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "net.py").write_text((HERE / "python2_helper_of_a_model" / "net.py").read_text())
    (folder / "old_helpers.py").write_text('def report(loss):\n    print "loss", loss\n')
    return folder


def test_a_model_file_of_a_folder_importing_python_2_code_is_set_aside_naming_the_file_to_convert(capsys, tmp_path):
    said, verdicts = _check_models(capsys, tmp_path, _with_python_2_helper(tmp_path))
    assert verdicts == {} and "ERROR" not in said
    assert "net.py: syntax error of Python 2 code" in said and "2to3 -w old_helpers.py" in said


def test_the_same_model_file_named_on_its_own_is_an_error(capsys, tmp_path):
    out = tmp_path / "check.json"
    main(["check", str(_with_python_2_helper(tmp_path) / "net.py"), "--no-fix-search", "--json", str(out)])
    errors = json.loads(out.read_text())["errors"]
    assert len(errors) == 1 and "2to3 -w old_helpers.py" in errors[0], errors


def test_a_folder_without_init_holding_a_module_of_its_own_name_is_imported_as_a_namespace_package():
    # loss/mean_squared_error.py does `from loss import loss`: the folder loss/ must not be put on sys.path, where its
    # loss.py would shadow the package loss (a regression of the package-root search, caught on petar-ceho/nnfs_book)
    outcome, verdicts = _check(HERE / "folder_named_like_its_module")
    assert outcome.errors == []
    assert verdicts["MeanSquaredError"].verdict == "pass", verdicts["MeanSquaredError"].bug_codes
