"""Conventions of published code that session 26's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach9/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import numpy.lib.npyio
import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main
from gradlab.conventions import import_budget
from gradlab.conventions.import_budget import ImportTooSlow, import_time_limit

HERE = Path(__file__).parent / "reach9"


def _check(path: Path, examples: int = 3):
    outcome = check_paths([path], examples=examples, seed=0)
    return outcome, {r.name: r for r in outcome.reports}


def test_a_file_importing_a_name_numpy_2_moved_out_of_numpy_lib_is_imported_and_its_loss_passes():
    # `from numpy.lib.npyio import savez_compressed`: numpy 1's public module, numpy 2's private _npyio_impl
    outcome, verdicts = _check(HERE / "numpy1_moved_name")
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"softmax_loss_vectorized": "pass"}
    assert "__getattr__" not in vars(numpy.lib.npyio)  # lent while the file is imported, then taken back


def test_the_same_package_with_the_regulariser_halved_fails_as_scaled():
    outcome, verdicts = _check(HERE / "numpy1_moved_name_buggy")
    assert outcome.errors == []
    assert verdicts["softmax_loss_vectorized"].verdict == "fail"
    assert verdicts["softmax_loss_vectorized"].bug_codes == ["scaled"]


def test_nnfs_style_results_kept_in_camel_case_are_read_and_the_layers_pass():
    # self.dWeights, self.dBiases, self.dInputs: the book's dweights/dbiases/dinputs, capitalised by a learner
    outcome, verdicts = _check(HERE / "camel_case_results")
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"DenseLayer": "warn", "MSE_Loss": "pass"}
    assert set(verdicts["DenseLayer"].to_dict()["gradients"]) == {"dx", "dweights", "dbiases"}


def test_a_file_that_makes_numpy_compute_in_float32_leaves_numpy_as_it_was_for_what_is_checked_after_it():
    # its set-up replaced np.dot and np.zeros with float32 versions at import, as the nnfs book's nnfs.init() does;
    # gradlab's numeric gradients and every later file would have computed in float32
    dot, zeros = np.dot, np.zeros
    outcome, verdicts = _check(HERE / "camel_case_results")
    assert np.dot is dot and np.zeros is zeros
    gradients = verdicts["DenseLayer"].to_dict()["gradients"]
    assert all(g["precision"] == "float64" and g["max_rel_error"] < 1e-7 for g in gradients.values()), gradients


def test_the_same_layers_with_a_bug_each_fail_with_its_code():
    outcome, verdicts = _check(HERE / "camel_case_results_buggy")
    assert outcome.errors == []
    assert verdicts["DenseLayer"].verdict == "fail" and verdicts["DenseLayer"].bug_codes == ["wrong-reduction"]
    assert verdicts["MSE_Loss"].verdict == "fail" and verdicts["MSE_Loss"].bug_codes == ["sign-flip"]


_SLOW_MODULE = textwrap.dedent("""
    import time
    for _ in range(8):  # 0.8 s of work at its top level, in steps, as a large package's import runs
        time.sleep(0.1)
    done = True
""")


def test_the_import_time_limit_waits_for_an_installed_package_being_imported(tmp_path, monkeypatch):
    # torch took over 20 s to import on a loaded machine: stopped half-way, its C extension was left half-initialised,
    # every later `import torch` of the folder failed ("partially initialized module 'torch'") and the process crashed
    (tmp_path / "slow_installed_pkg.py").write_text(_SLOW_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(import_budget, "_INSTALLED", (str(tmp_path),))
    try:
        # 0.8 s of import against a limit of 0.05 s: longer than the grace installed code called by the user's gets
        with import_time_limit(0.05):
            module = importlib.import_module("slow_installed_pkg")
        assert module.done
    finally:
        sys.modules.pop("slow_installed_pkg", None)


def test_the_import_time_limit_stops_installed_code_the_users_code_calls_after_a_shorter_grace(tmp_path, monkeypatch):
    # a download or a library's training run at the top of the user's file: not an import, so not waited for long
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "slow_library.py").write_text("import time\n\ndef work():\n    for _ in range(100):\n"
                                                       "        time.sleep(0.1)\n")
    (tmp_path / "user_calling_library.py").write_text("import slow_library\nslow_library.work()\n")
    monkeypatch.syspath_prepend(str(tmp_path / "lib"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(import_budget, "_INSTALLED", (str(tmp_path / "lib"),))
    started = time.monotonic()
    try:
        with pytest.raises(ImportTooSlow), import_time_limit(0.1):
            importlib.import_module("user_calling_library")
    finally:
        sys.modules.pop("user_calling_library", None)
        sys.modules.pop("slow_library", None)
    assert time.monotonic() - started < 5  # 0.1 s and its grace, not the library's 10 s


def test_the_import_time_limit_still_stops_the_users_own_slow_code(tmp_path, monkeypatch):
    (tmp_path / "slow_user_file.py").write_text(_SLOW_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(ImportTooSlow), import_time_limit(0.2):
            importlib.import_module("slow_user_file")
    finally:
        sys.modules.pop("slow_user_file", None)


def test_a_file_that_moves_into_its_own_folder_at_import_leaves_the_working_directory_as_it_was(monkeypatch):
    # os.chdir(os.path.dirname(__file__)) at the top of ch05/layers.py: the folder's other files, named relative to
    # the repository root the user runs gradlab from, were not found and the whole check stopped with an error
    root = HERE / "chdir_at_import"
    monkeypatch.chdir(root)
    outcome, verdicts = _check(Path("."))
    assert Path.cwd() == root
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"Relu": "pass", "sigmoid": "pass"}


def test_the_same_folder_with_a_bug_in_each_layer_fails_both(monkeypatch):
    monkeypatch.chdir(HERE / "chdir_at_import_buggy")
    outcome, verdicts = _check(Path("."))
    assert outcome.errors == []
    assert verdicts["Relu"].verdict == "fail" and verdicts["Relu"].bug_codes == ["misrouted"]
    assert verdicts["sigmoid"].verdict == "fail" and "crashed" not in verdicts["sigmoid"].bug_codes


def test_a_layer_storing_a_one_element_matrix_into_an_element_is_set_aside_as_written_for_numpy_1():
    # out[i, j] = x_row.dot(w_col) + b[j], a (1, 1) product (CodeJjang/cs231n-2019's conv_forward_naive): numpy 1
    # stored its value, numpy 2 raises "setting an array element with a sequence"; it was failed as crashed
    outcome, verdicts = _check(HERE / "older_numpy_store")
    assert verdicts == {}
    reason = dict(outcome.skipped)["affine"]
    assert "written for an older numpy" in reason and ".item()" in reason


def test_a_layer_storing_a_whole_row_of_products_into_an_element_still_fails_as_crashed():
    outcome, verdicts = _check(HERE / "older_numpy_store_buggy")
    assert verdicts["affine"].verdict == "fail" and verdicts["affine"].bug_codes == ["crashed"]


def test_layers_keeping_dx_as_self_dvalues_are_read_and_pass():
    # the nnfs video series' early naming (Psyonic123/Sample-Neural-Network): four layers failed as crashed
    outcome, verdicts = _check(HERE / "dvalues_result")
    assert {k: (r.verdict, r.detected_layout) for k, r in verdicts.items()} == {
        "Activation_ReLU": ("pass", None), "Activation_Softmax": ("pass", None)}


def test_a_softmax_backward_that_returns_nothing_is_not_passed_in_a_layout_where_nothing_is_compared():
    # retried as one sample in a column after "returned None", a softmax's output over one column is constant and the
    # check compared no element: it was PASSED, the stub and the pass-through alike
    outcome, verdicts = _check(HERE / "dvalues_result_buggy")
    assert verdicts["Softmax"].verdict == "fail" and verdicts["Softmax"].bug_codes == ["crashed"]
    assert verdicts["Activation_Softmax"].verdict == "fail" and verdicts["Activation_Softmax"].bug_codes == ["mismatch"]
    assert verdicts["Activation_ReLU"].verdict == "fail" and "crashed" not in verdicts["Activation_ReLU"].bug_codes


def _models(folder: Path, tmp_path: Path) -> dict[str, dict]:
    out = tmp_path / "check.json"
    main(["check", str(folder), "--no-fix-search", "--examples", "2", "--json", str(out)])
    return {layer["name"]: layer for layer in json.loads(out.read_text())["layers"]}


def test_a_textbook_model_whose_loss_spells_train_flg_as_train_flag_is_checked_in_training_mode(tmp_path):
    # Sai628/deep-learning-from-scratch's MultiLayerNetExtend: loss(x, t, train_flag=False) was called without it,
    # the numeric side ran dropout and batch norm in inference mode, the gradient in training mode: a false failure
    assert {k: r["verdict"] for k, r in _models(HERE / "train_flag_spelling", tmp_path).items()} == {"Net": "pass"}


def test_the_same_model_with_its_dropout_mask_left_out_of_backward_fails(tmp_path):
    net = _models(HERE / "train_flag_spelling_buggy", tmp_path)["Net"]
    assert net["verdict"] == "fail" and "crashed" not in net["bug_codes"]


def test_an_nnfs_style_loss_whose_backward_takes_predictions_and_optional_labels_passes():
    # ajkumar-13/NNFS's Loss_MSE.backward(y_pred, y_true=None): given the upstream gradient 1 as y_pred, it crashed
    outcome, verdicts = _check(HERE / "optional_labels_in_backward")
    assert {k: r.verdict for k, r in verdicts.items()} == {"Loss_MSE": "pass"}


def test_the_same_loss_forgetting_the_mean_over_outputs_fails_as_scaled():
    outcome, verdicts = _check(HERE / "optional_labels_in_backward_buggy")
    assert verdicts["Loss_MSE"].verdict == "fail" and verdicts["Loss_MSE"].bug_codes == ["scaled"]


def _layers(folder: Path) -> tuple[dict[str, str], dict[str, str]]:
    """{source file: verdict} and {name: why set aside} of a folder whose two files define layers of one name."""
    outcome = check_paths([folder], examples=3, seed=0)
    return {Path(r.source).name: r.verdict for r in outcome.reports}, dict(outcome.skipped)


def test_a_forward_taking_its_weights_in_one_parameters_dict_is_set_aside_as_its_own_convention():
    # deeplearning.ai's rnn_forward(X, Y, a0, parameters, vocab_size=71) (rohit12sharma/Building-a-RNN-step_by_step):
    # five arguments like CS231n's rnn_forward(x, h0, Wx, Wh, b), none of them; it was run with those and failed
    verdicts, skipped = _layers(HERE / "dict_of_weights")
    assert verdicts == {"rnn_layers.py": "pass"}
    assert "takes (X, Y, a0, parameters, vocab_size)" in skipped["rnn"] and "its own convention" in skipped["rnn"]


def test_the_courses_rnn_beside_it_with_a_bug_still_fails():
    verdicts, _ = _layers(HERE / "dict_of_weights_buggy")
    assert verdicts == {"rnn_layers.py": "fail"}


def test_a_course_file_importing_h5py_for_its_data_loader_is_imported_and_its_layer_passes():
    # deeplearning.ai's dnn_utils / dnn_app_utils import h5py for load_dataset() only (ayushjain19's, plgregori's):
    # where h5py is not installed, the whole file was an import error and its layers unchecked
    outcome, verdicts = _check(HERE / "h5py_data_loader")
    assert outcome.errors == []
    assert {k: r.verdict for k, r in verdicts.items()} == {"relu": "pass"}
    if importlib.util.find_spec("h5py") is None:  # lent only while the file was imported
        assert "h5py" not in sys.modules


def test_the_same_file_with_its_relu_mask_reversed_fails():
    outcome, verdicts = _check(HERE / "h5py_data_loader_buggy")
    assert outcome.errors == []
    assert verdicts["relu"].verdict == "fail" and verdicts["relu"].bug_codes == ["misrouted"]


def test_the_import_time_limit_judges_code_made_at_run_time_by_the_code_running_it(tmp_path, monkeypatch):
    # torch's import runs a dataclass's generated __init__ (filename "<string>"): it was taken for the user's own code
    # and the import stopped half-way after all (lib_cole, MS326 in the rerun of the earlier sessions' repositories)
    (tmp_path / "generated_code_pkg.py").write_text(textwrap.dedent("""
        import time
        for _ in range(8):
            exec("time.sleep(0.1)")
        done = True
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(import_budget, "_INSTALLED", (str(tmp_path),))
    try:
        with import_time_limit(0.05):
            assert importlib.import_module("generated_code_pkg").done
    finally:
        sys.modules.pop("generated_code_pkg", None)


def test_a_generic_pair_whose_forward_cannot_take_the_guessed_shape_is_set_aside_with_how_to_say_it(tmp_path):
    # as harshaygadekar/dl-from-scratch's max_pool2d_forward(x, kernel_size=2, stride=2, padding=0) was before
    # max_pool2d was read as a max pooling (session 28): no kind's name, one required argument, so checked at
    # gradlab's guess x (N, D), where `n, c, h, w = x.shape` failed it as crashed
    out = tmp_path / "check.json"
    main(["check", str(HERE / "generic_guess_refused"), "--no-fix-search", "--examples", "2", "--json", str(out)])
    doc = json.loads(out.read_text())
    assert {layer["name"]: layer["verdict"] for layer in doc["layers"]} == {"square": "pass"}
    reason = {s["name"]: s["reason"] for s in doc["skipped"]}["peak2d"]
    assert "gradlab's guess" in reason and "# gradlab: kind=generic, x=(...)" in reason


def test_a_generic_pair_that_takes_the_guessed_shape_and_is_wrong_still_fails(tmp_path):
    square = _models(HERE / "generic_guess_refused_buggy", tmp_path)["square"]
    assert square["verdict"] == "fail" and "crashed" not in square["bug_codes"]


def test_activations_named_with_the_nnfs_prefix_abbreviated_are_recognised_and_pass():
    # euan-turner/NNFS's Act_ReLU, Act_Sigmoid, Act_Softmax: "not a layer name gradlab knows"
    outcome, verdicts = _check(HERE / "act_prefix")
    assert {k: (r.kind, r.verdict) for k, r in verdicts.items()} == {
        "Act_ReLU": ("relu", "pass"), "Act_Sigmoid": ("sigmoid", "pass")}


def test_the_same_activations_with_a_bug_each_fail():
    outcome, verdicts = _check(HERE / "act_prefix_buggy")
    assert verdicts["Act_ReLU"].verdict == "fail" and verdicts["Act_Sigmoid"].verdict == "fail"
    assert not {"crashed"} & {*verdicts["Act_ReLU"].bug_codes, *verdicts["Act_Sigmoid"].bug_codes}
