"""Conventions of published code that session 27's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach10/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main

HERE = Path(__file__).parent / "reach10"


def _verdicts(path: Path, examples: int = 3) -> dict[str, tuple[str, list[str]]]:
    outcome = check_paths([path], examples=examples, seed=0)
    assert outcome.errors == []
    return {r.name: (r.verdict, r.bug_codes) for r in outcome.reports}


@pytest.mark.parametrize(("folder", "right", "buggy"), [
    # self.weight with self.dw, self.bias with self.db: the gradients were looked for as dweight and dbias only; the
    # same course's loss returns (probs, loss) from forward: it crashed, its labels' encoding never found
    ("weight_dw", {"Linear": "pass", "SoftmaxCrossEntropy": "warn"},
     {"Linear": ["extra-batch-mean"], "SoftmaxCrossEntropy": ["missing-batch-mean"]}),
    # the wrapper names `training` and passes **kwargs on: gradlab gave train_flg, which the layer's forward refused;
    # its backward names `training` too, and a dropout given none passed dout through (missing-mask)
    ("decorated_forward", {"Sigmoid": "pass", "Tanh": "pass", "Dropout": "pass"},
     {"Sigmoid": ["scaled"], "Tanh": ["sign-flip"], "Dropout": ["scaled"]}),
    # backward() returning nothing, its gradient left in self.dinputs
    ("backward_keeps_result", {"MSE": "pass"}, {"MSE": ["sign-flip"]}),
    # backward(x, top_diff) was taken for backward(dout, learning_rate): called with dout as x
    ("input_again", {"Sigmoid": "pass", "Tanh": "pass"}, {"Sigmoid": ["scaled"], "Tanh": ["sign-flip"]}),
    # an embedding's backward returning dW was read as returning dx, and dW as never computed
    ("embedding_returns_dw", {"Embedding": "pass"}, {"Embedding": ["dropped-term"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_convention_found_in_published_code_passes_its_right_layers_and_fails_its_buggy_twin(folder, right, buggy):
    assert {k: v for k, (v, _) in _verdicts(HERE / folder).items()} == right
    assert {k: codes for k, (v, codes) in _verdicts(HERE / f"{folder}_buggy").items() if v == "fail"} == buggy


def test_an_exercise_importing_its_helpers_by_their_path_from_the_repository_root_is_imported(monkeypatch):
    # `from course1.week_02.helpers.acts import sigmoid`, no __init__.py on the way: run from the root holding course1/
    monkeypatch.chdir(HERE / "dotted_from_root")
    assert _verdicts(Path("course1")) == {"sigmoid": ("pass", [])}
    monkeypatch.chdir(HERE / "dotted_from_root_buggy")
    assert _verdicts(Path("course1"))["sigmoid"][0] == "fail"


@pytest.mark.parametrize(("folder", "verdict"), [("model_exits", "pass"), ("model_exits_buggy", "fail")])
def test_a_net_calling_exit_on_labels_it_does_not_take_is_checked_and_the_checker_goes_on(folder, verdict, tmp_path):
    # the net's loss prints and calls exit() on index labels: the whole check used to end there, status 0, no result
    out = tmp_path / "out.json"
    status = main(["check", str(HERE / folder), "--no-fix-search", "--examples", "2", "--json", str(out)])
    layers = json.loads(out.read_text())["layers"]
    assert [(entry["name"], entry["verdict"]) for entry in layers] == [("TwoLayerNet", verdict)]
    assert status == (0 if verdict == "pass" else 1)


@pytest.mark.parametrize(("folder", "verdict"), [("public_tests_of_a_cell", "pass"),
                                                  ("public_tests_of_a_cell_buggy", "fail")])
def test_a_course_s_public_tests_of_a_layer_of_no_known_kind_are_set_aside_not_failed(folder, verdict, tmp_path):
    # softsign_cell_forward_test(target) beside softsign_cell_backward_test(target): a generic pair of one input to
    # gradlab, which gave it an array and failed it as crashed; the layer they test is still checked
    out = tmp_path / "out.json"
    main(["check", str(HERE / folder), "--no-fix-search", "--examples", "2", "--json", str(out)])
    found = json.loads(out.read_text())
    assert [(entry["name"], entry["verdict"]) for entry in found["layers"]] == [("softsign_cell", verdict)]
    assert {"name": "softsign_cell_test", "reason": "softsign_cell_forward_test is a test of a layer, not a layer"} \
        in found["skipped"]


def test_a_one_image_convolution_without_its_return_is_failed_not_set_aside():
    # it refuses batches (a ValueError, as scipy's correlate2d raises), so it is tried on one image with no batch axis;
    # its backward returning nothing kept it from being taken that way, and the layer was set aside as unrunnable
    assert _verdicts(HERE / "one_image_conv") == {"Convolutional": ("pass", [])}
    outcome = check_paths([HERE / "one_image_conv_buggy"], examples=3, seed=0)
    [report] = outcome.reports
    assert (report.verdict, report.bug_codes) == ("fail", ["crashed"])
    assert report.detected_layout == "single arrays, no batch axis"


def test_a_forward_file_and_a_backward_file_beside_it_are_paired_by_name():
    # linear_forward in forward_propagation.py, linear_backward in backward_propagation.py: a learner's export of the
    # notebook in sections; each half was set aside as having no match
    assert _verdicts(HERE / "phase_files") == {"linear": ("pass", []), "sigmoid": ("pass", [])}
    assert _verdicts(HERE / "phase_files_buggy")["linear"] == ("fail", ["missing-batch-mean"])
