"""A small transformer library's conventions, as published ones write them (tests/realcode16/tinyformer, a package
of our own in their style): parameters as objects with `.data` and `.gradient`, layers built from sizes and a random
generator (`Dense(d_in, d_out, rng)`), a backward that frees the cache its forward kept, and a fixed sinusoidal
table kept where a learned positional table would be."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

HERE = Path(__file__).parent / "realcode16"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[tuple[str, str], dict]:
    out = tmp_path_factory.mktemp("tinyformer") / "out.json"
    main(["check", str(HERE / "tinyformer"), "--examples", "12", "--no-fix-search", "--json", str(out)])
    return _keyed(json.loads(out.read_text(encoding="utf-8")))


def _keyed(report: dict) -> dict[tuple[str, str], dict]:
    """Each layer of a JSON report under (its file's name, its name)."""
    return {(Path(str(r["source"]).split(":")[0]).name, r["name"]): r for r in report["layers"]}


def _one(results, file: str, name: str) -> dict:
    found = [r for (f, n), r in results.items() if n == name and f.endswith(file)]
    assert len(found) == 1, sorted(results)
    return found[0]


def test_a_backward_that_frees_its_forwards_cache_is_asked_again_after_a_forward_and_passes(results):
    relu = _one(results, "layers.py", "ReLU")
    assert relu["verdict"] == "pass", relu["bug_codes"]


def test_a_layer_built_from_its_sizes_and_a_random_generator_is_built_and_its_parameter_objects_checked(results):
    dense = _one(results, "layers.py", "Dense")
    assert dense["verdict"] != "fail" and {"weight.gradient", "bias.gradient"} <= set(dense["gradients"]), dense


def test_a_fixed_sinusoidal_table_is_no_learned_parameter_whose_gradient_is_missing(results):
    encoding = _one(results, "layers.py", "SinusoidalPositionalEncoding")
    assert encoding["verdict"] == "pass" and set(encoding["gradients"]) == {"dx"}, encoding["bug_codes"]


def test_a_learned_table_built_from_a_generator_is_still_a_parameter_whose_missing_gradient_fails(results):
    learned = _one(results, "buggy.py", "LearnedPositionalEncoding")
    assert learned["verdict"] == "fail" and learned["bug_codes"][0] == "zero-gradient"


def test_a_bug_in_a_layer_that_frees_its_cache_is_still_named(results):
    dense = _one(results, "buggy.py", "Dense")
    assert dense["verdict"] == "fail" and dense["bug_codes"][0] == "extra-batch-mean"


def test_a_random_source_answers_both_of_numpys_apis_and_a_seed_is_a_number():
    from gradlab.conventions.random_sources import random_source
    rng = random_source("rng")
    assert rng.standard_normal((2, 3)).shape == (2, 3) and rng.randn(2, 3).shape == (2, 3)
    assert random_source("seed") == 0


def test_a_layer_norm_with_no_gamma_and_beta_is_checked_as_one_that_only_normalises(results):
    right, wrong = _one(results, "layers.py", "LayerNorm"), _one(results, "buggy.py", "LayerNorm")
    assert right["verdict"] == "pass" and set(right["gradients"]) == {"dx"}, right["bug_codes"]
    assert wrong["verdict"] == "fail" and wrong["bug_codes"][0] == "dropped-term"


def test_a_mode_switch_whose_one_argument_is_verbose_is_called_without_it_so_nothing_is_printed(capsys):
    main(["check", str(HERE / "tinyformer" / "nn" / "layers.py"), "--only", "ReLU", "--examples", "4",
          "--no-fix-search"])
    assert "now trains" not in capsys.readouterr().out


def test_a_batch_norm_spelling_its_scale_and_shift_bw_and_bb_is_checked_with_both_gradients(tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(HERE / "mytorch_batchnorm.py"), "--examples", "12", "--no-fix-search", "--json", str(out)])
    layer, = json.loads(out.read_text(encoding="utf-8"))["layers"]
    assert layer["verdict"] == "pass" and {"dBW", "dBb"} <= set(layer["gradients"]), layer


@pytest.fixture(scope="module")
def pools(tmp_path_factory) -> dict[tuple[str, str], dict]:
    out = tmp_path_factory.mktemp("pools") / "out.json"
    main(["check", str(HERE / "block_pooling.py"), str(HERE / "block_pooling_buggy.py"), "--examples", "20",
          "--no-fix-search", "--json", str(out)])
    return _keyed(json.loads(out.read_text(encoding="utf-8")))


def test_a_pooling_class_that_takes_no_stride_refuses_the_cases_of_another_geometry_and_is_checked_on_the_rest(pools):
    for name in ("AvgPool2D", "MaxPool2D"):
        layer = pools[("block_pooling.py", name)]
        assert layer["verdict"] == "warn" and not layer["bug_codes"], layer["bug_codes"]
        assert any("takes no stride" in w["message"] for w in layer["warnings"]), layer["warnings"]


def test_a_bug_in_a_pooling_class_that_takes_no_stride_is_still_caught_and_named(pools):
    layer = pools[("block_pooling_buggy.py", "AvgPool2D")]
    assert layer["verdict"] == "fail" and layer["bug_codes"] == ["scaled"]


def test_layers_on_numba_compiled_helpers_are_checked_as_plain_python_where_numba_is_not_installed(tmp_path):
    import importlib.util
    out = tmp_path / "out.json"
    main(["check", str(HERE / "jitted" / "layers.py"), "--examples", "8", "--no-fix-search", "--json", str(out)])
    report = json.loads(out.read_text(encoding="utf-8"))
    verdicts = {r["name"]: (r["verdict"], r["bug_codes"][:1]) for r in report["layers"]}
    assert verdicts["ReLU"] == ("pass", []) and verdicts["Affine"][0] == "fail", verdicts
    if importlib.util.find_spec("numba") is None:
        said = [s["reason"] for s in report["skipped"] if s["name"] == "numba"]
        assert said and "uncompiled" in said[0], report["skipped"]


def test_an_unreduced_loss_whose_backward_is_the_gradient_of_their_mean_warns_rather_than_fails(tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(HERE / "unreduced_losses.py"), str(HERE / "unreduced_losses_buggy.py"), "--examples", "12",
          "--no-fix-search", "--json", str(out)])
    layers = _keyed(json.loads(out.read_text(encoding="utf-8")))
    mean, total = layers[("unreduced_losses.py", "MSELoss")], layers[("unreduced_losses.py", "SquaredError")]
    assert mean["verdict"] == "warn" and any("gradient of their mean" in w["message"] for w in mean["warnings"])
    assert total["verdict"] == "warn" and not any("their mean (" in w["message"] for w in total["warnings"])
    buggy = layers[("unreduced_losses_buggy.py", "MSELoss")]
    assert buggy["verdict"] == "fail" and buggy["bug_codes"][0] in ("extra-batch-mean", "scaled"), buggy["bug_codes"]


def test_a_group_norm_class_written_for_a_flat_gamma_passes_and_a_pooling_function_reading_pool_size_runs(tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(HERE / "learner_norm_pool.py"), "--examples", "20", "--no-fix-search", "--json", str(out)])
    verdicts = {r["name"]: (r["verdict"], r["bug_codes"]) for r in json.loads(out.read_text("utf-8"))["layers"]}
    assert verdicts == {"GroupNorm": ("pass", []), "avg_pool": ("pass", [])}, verdicts


def test_a_pooling_function_reading_one_pool_size_from_its_dict_is_drawn_square_windows_and_its_bug_named(tmp_path):
    from gradlab.cases.window_shapes import one_window_size
    from gradlab.conventions.discover import discover
    from gradlab.kinds import KINDS

    path = HERE / "learner_pool_size_maxpool.py"
    entry = next(e for found in discover([path]) for e in found.entries if e.kind == "max_pool")
    assert one_window_size(entry, KINDS["max_pool"])
    out = tmp_path / "out.json"
    main(["check", str(path), "--examples", "20", "--no-fix-search", "--json", str(out)])
    verdicts = {r["name"]: (r["verdict"], r["bug_codes"][:1]) for r in json.loads(out.read_text("utf-8"))["layers"]}
    assert verdicts == {"max_pool": ("fail", ["misrouted"])}, verdicts


def test_a_recurrent_cell_replacing_an_array_of_its_grads_list_fails_zero_gradient_with_the_in_place_write(tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(HERE / "second_volume_cell_rebind.py"), "--examples", "5", "--json", str(out)])
    (layer,) = json.loads(out.read_text("utf-8"))["layers"]
    assert (layer["verdict"], layer["bug_codes"]) == ("fail", ["zero-gradient"]), layer["bug_codes"]
    assert "grads[1]" in json.dumps(layer) and "self.grads[1][...] = h_prev.T @ da" in json.dumps(layer["fix"])


def test_cmu_recurrent_cells_as_the_course_calls_them_pass_and_their_twins_bugs_are_named(
        tmp_path, monkeypatch):
    # CMU 11-785's mytorch: RNNCell(input_size, hidden_size) in PyTorch's layout, backward(delta, h_t, h_prev_l,
    # h_prev_t) adding batch-averaged gradients; checked from the course folder, as its package imports expect
    monkeypatch.chdir(HERE / "cmu_hw3")
    out = tmp_path / "out.json"
    main(["check", "mytorch", "--examples", "10", "--no-fix-search", "--json", str(out)])
    found = {(r["name"], r["source"]): (r["verdict"], r["bug_codes"][:1])
             for r in json.loads(out.read_text("utf-8"))["layers"]}
    assert found == {("Tanh", "mytorch/nn/activation.py"): ("pass", []),
                     ("Sigmoid", "mytorch/nn/activation.py"): ("pass", []),
                     ("RNNCell", "mytorch/rnn_cell.py"): ("pass", []),
                     ("RNNCell", "mytorch/rnn_cell_wrong.py"): ("fail", ["wrong-input"]),
                     # the GRU cell takes one sample as vectors (x (d,), h (h,)): found so, and its sign named
                     ("GRUCell", "mytorch/gru_cell.py"): ("pass", []),
                     ("GRUCell", "mytorch/gru_cell_wrong.py"): ("fail", ["sign-flip"])}, found


def test_a_column_softmax_in_a_file_whose_dense_layer_takes_columns_is_checked_as_columns_and_its_twins_bug_named(
        tmp_path):
    # the softmax normalises over axis 0 and does not crash on rows, where it mixed samples (couples-samples); the
    # Dense layer beside it crashes on rows and is found to take columns: the file's layout
    out = tmp_path / "out.json"
    main(["check", str(HERE / "column_file"), "--examples", "10", "--no-fix-search", "--json", str(out)])
    found = {(r["name"], Path(r["source"]).name): (r["verdict"], r["bug_codes"][:1], r["detected_layout"])
             for r in json.loads(out.read_text("utf-8"))["layers"]}
    from_file = "columns, as the other layers of its file"
    assert found[("SoftmaxCrossEntropy", "net_right.py")][:2] == ("warn", []), found
    assert found[("SoftmaxCrossEntropy", "net_right.py")][2] == from_file
    assert found[("SoftmaxCrossEntropy", "net_wrong.py")] == ("fail", ["scaled"], from_file), found
    assert {found[("Dense", f)][0] for f in ("net_right.py", "net_wrong.py")} == {"pass"}


def test_numpy_functions_written_as_torch_autograd_functions_are_checked_as_the_pairs_they_are(tmp_path):
    # static forward(ctx, x, weight, bias) saving for backward, backward(ctx, grad_output) returning one gradient per
    # input; LinearFunction's weight is PyTorch's (out, in), read as x @ weight.T
    out = tmp_path / "out.json"
    main(["check", str(HERE / "ctx_functions"), "--examples", "10", "--no-fix-search", "--json", str(out)])
    found = {(r["name"], Path(r["source"]).name): (r["verdict"], r["bug_codes"][:1])
             for r in json.loads(out.read_text("utf-8"))["layers"]}
    assert found == {("LinearFunction", "ops_right.py"): ("warn", []), ("ReLUFunction", "ops_right.py"): ("pass", []),
                     ("SigmoidFunction", "ops_right.py"): ("pass", []),
                     ("LinearFunction", "ops_wrong.py"): ("fail", ["wrong-reduction"]),
                     ("ReLUFunction", "ops_wrong.py"): ("pass", []),
                     ("SigmoidFunction", "ops_wrong.py"): ("fail", ["dropped-term"])}, found
