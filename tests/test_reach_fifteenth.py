"""Layers real course code has that gradlab did not recognise (issue 10, session 31's reach study): each test checks a
folder of tests/reach15/kinds/ (this project's own files, written in the convention met in the wild) as a new user
would, and its twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main
from gradlab.kinds import kind_for_loss_function

HERE = Path(__file__).parent / "reach15" / "kinds"


def _verdicts(path: Path) -> dict[str, tuple[str, str, list[str]]]:
    outcome = check_paths([path], examples=6, seed=0)
    assert outcome.errors == []
    return {r.name: (r.kind, r.verdict, r.bug_codes) for r in outcome.reports}


@pytest.mark.parametrize(("folder", "right", "buggy"), [
    # a binary hinge on one score per sample, labels -1/+1: `hinge_loss` and `binary_hinge_loss` were not recognised,
    # `HingeLoss` was taken for the multiclass SVM loss and, right, failed as `scaled` on (N, C) one-hot labels
    ("binary_hinge", {"hinge_loss": "pass", "binary_hinge_loss": "warn", "HingeLoss": "pass"},
     {"hinge_loss": ["sign-flip"], "binary_hinge_loss": ["missing-batch-mean"], "HingeLoss": ["extra-batch-mean"]}),
    # the same names on (N, C) scores with class indices stay the multiclass SVM loss
    ("multiclass_hinge", {"hinge_loss": "pass", "HingeLoss": "warn"},
     {"hinge_loss": ["sign-flip"], "HingeLoss": ["missing-batch-mean"]}),
    # a loss's name with `_loss` after it: not recognised before
    ("loss_suffix", {"bce_with_logits_loss": "pass", "binary_cross_entropy_loss": "pass",
                     "softmax_cross_entropy_loss": "pass"},
     {"bce_with_logits_loss": ["sign-flip"], "binary_cross_entropy_loss": ["scaled"],
      "softmax_cross_entropy_loss": ["missing-batch-mean"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_loss_named_as_courses_name_it_passes_right_and_fails_its_buggy_twin_with_its_code(folder, right, buggy):
    assert {k: v for k, (_, v, _) in _verdicts(HERE / folder).items()} == right
    found = _verdicts(HERE / f"{folder}_buggy")
    assert {k: codes[:1] for k, (_, v, codes) in found.items() if v == "fail"} == buggy


def test_a_hinge_loss_is_checked_as_the_kind_whose_arrays_it_takes_and_the_json_says_which(tmp_path):
    kinds = {n: k for n, (k, _, _) in _verdicts(HERE / "binary_hinge").items()}
    assert kinds == {"hinge_loss": "binary_hinge", "binary_hinge_loss": "binary_hinge", "HingeLoss": "binary_hinge"}
    assert {k for k, _, _ in _verdicts(HERE / "multiclass_hinge").values()} == {"svm_loss"}
    out = tmp_path / "out.json"
    main(["check", str(HERE / "binary_hinge" / "hinge.py"), "--only", "HingeLoss", "--no-fix-search",
          "--json", str(out)])
    assert [layer["kind"] for layer in json.loads(out.read_text())["layers"]] == ["binary_hinge"]


def test_a_layer_that_takes_only_a_column_of_scores_is_checked_on_it_and_told_so():
    outcome = check_paths([HERE / "binary_hinge"], examples=6, seed=0)
    report = next(r for r in outcome.reports if r.name == "binary_hinge_loss")
    assert "accepts only (N,) beside (N, 1) scores labels" in " ".join(w.message for w in report.warnings)


@pytest.mark.parametrize(("name", "kind"), [
    ("bce_with_logits_loss", "bce_with_logits"), ("binary_cross_entropy_loss", "binary_crossentropy"),
    ("softmax_cross_entropy_loss", "softmax_with_loss"), ("huber_loss", "huber_loss"),
    ("mean_squared_error_loss", "mse_loss"), ("hinge_loss", "binary_hinge"), ("binary_hinge_loss", "binary_hinge"),
    ("softmax_loss", "softmax_with_loss"), ("l2_loss", None), ("sigmoid_loss", None), ("_loss", None),
], ids=str)
def test_a_function_named_as_a_loss_plus_loss_is_that_loss_and_no_other_name_is(name, kind):
    found = kind_for_loss_function(name)
    assert (found.name if found is not None else None) == kind


def test_the_textbooks_softmax_loss_that_returns_the_loss_alone_is_still_set_aside():
    outcome = check_paths([HERE / "loss_suffix"], examples=6, seed=0)
    assert any(name == "softmax_loss" and "returns only the loss" in why for name, why in outcome.skipped)
    assert "softmax_loss" not in {r.name for r in outcome.reports}


def test_keras_simple_rnn_is_the_rnn_over_a_sequence_and_its_cell_one_step():
    outcome = check_paths([HERE / "simple_rnn"], examples=6, seed=0)
    assert {r.name: (r.kind, r.verdict) for r in outcome.reports} == \
        {"SimpleRNNCell": ("rnn_step", "pass"), "SimpleRNN": ("time_rnn", "pass")}
    buggy = check_paths([HERE / "simple_rnn_buggy"], examples=6, seed=0)
    assert {r.name: r.bug_codes[:1] for r in buggy.reports} == \
        {"SimpleRNNCell": ["extra-batch-mean"], "SimpleRNN": ["transposed"]}


def test_keras_channels_last_layers_are_found_so_and_checked_right_and_their_buggy_twins_fail_with_their_code():
    right = check_paths([HERE / "keras_channels_last"], examples=6, seed=0)
    assert right.skipped == []
    assert {(r.source.rsplit("/", 1)[-1], r.kind, r.verdict) for r in right.reports} == {
        ("conv_sizes.py", "conv", "warn"), ("conv_given.py", "conv", "warn"), ("pool.py", "max_pool", "pass")}
    # the warnings are the geometries a Conv2D without padding or with one kernel size refuses, not the layout
    assert all("rejected" in w.message for r in right.reports for w in r.warnings)
    # an overwrite shows only where windows overlap, among the square unpadded cases such a Conv2D takes: more cases
    buggy = check_paths([HERE / "keras_channels_last_buggy"], examples=50, seed=0)
    assert {r.source.rsplit("/", 1)[-1]: r.bug_codes[:1] for r in buggy.reports} == {
        "conv_sizes.py": ["dropped-term"], "conv_given.py": ["sign-flip"], "pool.py": ["misrouted"]}


def test_a_channels_last_failure_names_the_layers_own_gradient_and_its_worst_element_in_the_layers_layout(capsys):
    main(["check", str(HERE / "keras_channels_last_buggy" / "conv_given.py"), "--no-fix-search", "--seed", "0"])
    out = capsys.readouterr().out
    assert "dkernel has the wrong sign" in out and "could not be run" not in out
    # the worst element is indexed as the layer keeps the kernel, (kh, kw, C_in, C_out): F=2 filters on its last axis
    index = out.split("worst element dkernel[", 1)[1].split("]", 1)[0]
    assert len(index.split(",")) == 4


def test_a_layer_written_for_channels_first_is_not_given_channels_last():
    from gradlab.conventions.discover import discover

    found = discover([Path(__file__).parent / "reach14" / "keras_conv" / "conv.py"])
    assert [e.name for f in found for e in f.entries] == ["Conv2D"]
    assert all("channels" not in e.options for f in found for e in f.entries)
