"""Layer kinds real course code has that gradlab did not recognise (issue 10, the reach study of session 27):
deeplearning.ai's course 5 cells, `rnn_cell_forward(xt, a_prev, parameters)` and `lstm_cell_forward(xt, a_prev,
c_prev, parameters)` with backwards returning a dict of gradients (kinds rnn_cell and lstm_cell, checked on the a_next
path the course's backward differentiates), and its sequences `rnn_forward(x, a0, parameters)`, `lstm_forward` (kinds
rnn_sequence and lstm_sequence, x of shape (n_x, m, T_x)); RMS normalisation (rmsnorm); losses named MSError or
SquaredError. Each is proved on the zoo (correct layers pass, buggy ones
fail with their intended code and get a verified one-edit fix) and on files of our own in the course's conventions
(tests/fixtures/kinds_eleventh): a right layer passes, its twin with one slip fails with the right code."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS, WARN
from gradlab.fixes import find_fix
from gradlab.kinds import kind_for_class

NEW = ("rnn_cell", "lstm_cell", "rnn_sequence", "lstm_sequence", "rmsnorm", "conv_transpose", "multihead_attention")
ZOO = {name: e for name, e in load_reference().items() if e.kind in NEW}
CORRECT = sorted(n for n, e in ZOO.items() if not e.is_buggy)
BUGGY = sorted(n for n, e in ZOO.items() if e.is_buggy)
FIXTURES = Path(__file__).parent / "fixtures" / "kinds_eleventh"

_FOUND: dict[str, dict] = {}


def _entries(target: str) -> dict:
    """The entries discovered in a fixture file or folder, read once per test session."""
    if target not in _FOUND:
        _FOUND[target] = {e.name: e for found in discover([FIXTURES / target]) for e in found.entries}
    return _FOUND[target]


def _skipped(target: str) -> dict[str, str]:
    return {name: why for found in discover([FIXTURES / target]) for name, why in found.skipped}


def test_the_zoo_holds_a_correct_layer_of_each_new_kind_and_a_buggy_one():
    for kind in NEW:
        assert any(ZOO[n].kind == kind for n in CORRECT) and any(ZOO[n].kind == kind for n in BUGGY), kind


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_layer_of_a_new_kind_passes(name):
    report = check_entry(ZOO[name], examples=10, seed=2)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.sample(by=lambda name: ZOO[name].kind)  # each kind's first; test_zoo checks every variant's code
@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_layer_of_a_new_kind_fails_with_its_code_and_gets_a_verified_one_line_fix(name):
    entry = ZOO[name]
    report = check_entry(entry, examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == entry.bug, report.bug_codes
    fix = find_fix(entry, report, examples=10, seed=0)
    assert fix is not None and fix.status == "verified" and len(fix.lines) == 1, fix


#: the course's cells are named for the outputs checked: the prediction yt_pred is not differentiated by its backward
CELLS = {"rnn_cell[a_next]": ("rnn_cell", "transposed"), "lstm_cell[a_next, c_next]": ("lstm_cell", "dropped-term")}


def test_the_course_cells_are_recognised_named_for_what_is_checked_in_the_course_layout():
    for file in ("cells_right.py", "cells_wrong.py"):
        found = _entries(file)
        assert {n: e.kind for n, e in found.items()} == {n: k for n, (k, _) in CELLS.items()}, file
        assert all(e.options.get("layout") == "columns" and e.options.get("weights") == "out_in"
                   for e in found.values())


@pytest.mark.parametrize("name", sorted(CELLS))
def test_a_course_cell_passes_when_right_and_its_twin_fails_with_the_right_code(name):
    right = check_entry(_entries("cells_right.py")[name], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("cells_wrong.py")[name], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, [CELLS[name][1]])


#: the course's sequences, named for the hidden states a, the one output their backward takes a gradient for
SEQUENCES = {"rnn[a]": ("rnn_sequence", "dropped-term"), "lstm[a]": ("lstm_sequence", "dropped-term")}


def test_the_course_sequences_are_recognised_where_cs231n_names_its_own_the_same():
    for file in ("sequences_right.py", "sequences_wrong.py"):
        assert {n: e.kind for n, e in _entries(file).items()} == {n: k for n, (k, _) in SEQUENCES.items()}, file


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_a_course_sequence_passes_when_right_and_its_twin_fails_with_the_right_code(name):
    right = check_entry(_entries("sequences_right.py")[name], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("sequences_wrong.py")[name], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, [SEQUENCES[name][1]])


def test_the_prediction_output_is_not_differentiated_so_its_weights_are_given_and_never_asked_for():
    entry = _entries("cells_right.py")["rnn_cell[a_next]"]
    report = check_entry(entry, examples=5, seed=0)
    assert set(report.worst) == {"dx", "da_prev", "dWax", "dWaa", "dba"}


def test_a_cell_whose_backward_is_in_another_file_importing_its_forward_is_checked_there():
    found = _entries("split")
    entry = found["rnn_cell[a_next]"]
    forward, backward = entry.target
    assert (forward.__module__.split("_")[-2:], backward.__module__.split("_")[-2:]) == (["forward", "steps"],
                                                                                          ["back", "steps"])
    assert check_entry(entry, examples=5, seed=0).verdict == PASS


def test_a_gradients_dict_missing_a_key_is_a_crash_that_names_the_key_and_what_the_dict_holds():
    report = check_entry(_entries("dict_keys.py")["rnn_cell[a_next]"], examples=3, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == "crashed"
    message = " ".join(f.message for f in report.failing.findings)
    assert "without 'dWax'" in message and "'dWx'" in message, message


@pytest.mark.parametrize(("name", "kind"), [
    # the mean's letters before a spelled-out word, an `error` for a loss (and optional where `loss` is)
    ("MSError", "mse_loss"), ("MAError", "mae_loss"), ("SquaredError", "mse_loss"), ("SquaredErrorLoss", "mse_loss"),
    ("CrossEntropyError", "categorical_crossentropy"), ("BinaryCrossEntropyError", "binary_crossentropy"),
    # `error` alone, or beside a word that spells no loss, stays unknown; an optimizer's name is no layer
    ("Error", None), ("AffineError", None), ("ReluError", None), ("RMSprop", None),
])
def test_a_loss_named_for_its_error_or_with_the_means_letters_is_read_as_its_kind(name, kind):
    found = kind_for_class(name)
    assert (found.name if found else None) == kind


#: each twin's slip and the code it must be given first
LOSSES = {"MSError": ("mse_loss", "scaled"), "SquaredError": ("mse_loss", "sign-flip"),
          "MAError": ("mae_loss", "extra-batch-mean")}


def test_losses_under_these_names_are_recognised_as_their_kinds():
    for file in ("losses_right.py", "losses_wrong.py"):
        assert {n: e.kind for n, e in _entries(file).items()} == {n: k for n, (k, _) in LOSSES.items()}, file


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_a_loss_under_such_a_name_passes_when_right_and_its_twin_fails_with_the_right_code(name):
    right = check_entry(_entries("losses_right.py")[name], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("losses_wrong.py")[name], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, [LOSSES[name][1]])


#: each twin's slip and the code it must be given first
NORMS = {"RMSNorm": ("rmsnorm", "extra-batch-mean"), "rms_norm": ("rmsnorm", "dropped-term")}


def test_rms_norms_in_a_learners_class_built_from_its_size_and_a_functional_pair_are_recognised():
    for file in ("norms_right.py", "norms_wrong.py"):
        assert {n: e.kind for n, e in _entries(file).items()} == {n: k for n, (k, _) in NORMS.items()}, file


@pytest.mark.parametrize("name", sorted(NORMS))
def test_an_rms_norm_passes_when_right_and_its_twin_fails_with_the_right_code(name):
    right = check_entry(_entries("norms_right.py")[name], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("norms_wrong.py")[name], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, [NORMS[name][1]])


@pytest.mark.parametrize("name", ["RMSNorm", "RMSNormalization", "RootMeanSquareNorm", "rms_norm", "rmsnorm"])
def test_the_rms_norm_is_found_under_its_usual_spellings(name):
    from gradlab.kinds import kind_for_stem

    found = kind_for_class(name) or kind_for_stem(name)
    assert found is not None and found.name == "rmsnorm"


#: each twin's slip and the code it must be given first
POOLS = {"max_pool2d": ("max_pool", "misrouted"), "avg_pool2d": ("avg_pool", "scaled")}


@pytest.mark.parametrize(("stem", "kind"), [
    ("max_pool2d", "max_pool"), ("maxpool2d", "max_pool"), ("avg_pool2d", "avg_pool"), ("conv2d", "conv"),
    # a count of axes the kind does not work over is no spelling of it
    ("max_pool1d", None), ("conv1d", None), ("dropout2d", None),
    # its class name, the spatial batch norm's, not the 2-D batch norm the bare stem names
    ("batchnorm2d", "spatial_batchnorm"),
])
def test_a_stem_with_pytorchs_dimension_count_is_its_kind_when_the_kind_works_over_that_many_axes(stem, kind):
    from gradlab.kinds import kind_for_stem

    found = kind_for_stem(stem)
    assert (found.name if found else None) == kind


def test_pooling_functions_taking_pytorchs_keywords_are_given_the_cases_window_by_name_and_square_windows():
    from gradlab.cases.window_shapes import one_window_size
    from gradlab.conventions.function_inputs import settings_in_place_of_dict
    from gradlab.kinds import KINDS

    found = _entries("pools_right.py")
    assert {n: e.kind for n, e in found.items()} == {n: k for n, (k, _) in POOLS.items()}
    forward = found["max_pool2d"].target[0]
    assert settings_in_place_of_dict(forward, KINDS["max_pool"]) == ("pool_height", "stride", "pad")
    assert one_window_size(found["max_pool2d"], KINDS["max_pool"])


def test_a_convolution_taking_its_settings_as_numbers_is_not_given_them_by_name():
    from gradlab.conventions.function_inputs import settings_in_place_of_dict
    from gradlab.kinds import KINDS

    def conv_forward(x, w, b, stride=1, padding=1):
        return x, None

    assert settings_in_place_of_dict(conv_forward, KINDS["conv"]) is None


@pytest.mark.parametrize("name", sorted(POOLS))
def test_a_keyword_pooling_passes_when_right_and_its_twin_fails_with_the_right_code(name):
    right = check_entry(_entries("pools_right.py")[name], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("pools_wrong.py")[name], examples=10, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, [POOLS[name][1]])


def test_a_convolution_reading_its_kernels_height_and_width_from_one_kernel_size_is_built_with_a_square_pair():
    # CaiFeipeng/numpy-nn's Conv2D(in_channels, out_channels, kernel_size) reads kernel_size[0] and kernel_size[1]:
    # given one number it raised, and retried with every size a shape it raised again; its kernel alone is a pair now
    right = check_entry(_entries("convs_right.py")["Conv2D"], examples=10, seed=0)
    assert right.verdict in (PASS, WARN) and right.error is None, (right.bug_codes, right.error)
    wrong = check_entry(_entries("convs_wrong.py")["Conv2D"], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, ["extra-batch-mean"])


def test_a_transposed_convolution_built_from_its_sizes_passes_when_right_and_its_twin_fails_with_the_right_code():
    # filters kept (out, in, k, k), as a convolution over the dilated input keeps them: checked on its own forward
    found = _entries("deconv_right.py")
    assert {n: e.kind for n, e in found.items()} == {"ConvTranspose2D": "conv_transpose"}
    right = check_entry(found["ConvTranspose2D"], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("deconv_wrong.py")["ConvTranspose2D"], examples=10, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, ["scaled"])


@pytest.mark.parametrize("name", ["ConvTranspose2D", "ConvTranspose2d", "TransposedConv2D", "Deconv2D",
                                  "Conv2DTranspose", "conv_transpose", "conv_transpose2d"])
def test_the_transposed_convolution_is_found_under_its_usual_spellings(name):
    from gradlab.kinds import kind_for_stem

    found = kind_for_class(name) or kind_for_stem(name)
    assert found is not None and found.name == "conv_transpose"


@pytest.mark.parametrize(("name", "role"), [
    ("input_d", "in"), ("output_d", "out"), ("in_dimension", "in"), ("n_inp", "in"), ("output_units", "out"),
    ("in_features", "in"), ("inputs_shape", None), ("outcome", None), ("dropout", None),
])
def test_a_constructors_size_is_read_by_its_in_or_out_word_and_a_size_word(name, role):
    from gradlab.conventions.class_construction import _named_role

    assert _named_role(name, ("in", "out")) == role


def test_a_dense_layer_built_from_abbreviated_sizes_passes_when_right_and_its_twin_fails_with_the_right_code():
    # CaiFeipeng/numpy-nn's Linear(input_d, output_d, use_bias) was given the arrays and raised: not checked
    right = check_entry(_entries("sizes_right.py")["Linear"], examples=10, seed=0)
    assert right.verdict in (PASS, WARN) and right.error is None, (right.bug_codes, right.error)
    wrong = check_entry(_entries("sizes_wrong.py")["Linear"], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, ["wrong-reduction"])


@pytest.mark.parametrize(("stem", "kind"), [
    ("fc", "affine"), ("dense", "affine"), ("fully_connected", "affine"),
    # no kind's class name, a loss (a function alone, never a pair), a composite in the wrong order: unknown
    ("bn", None), ("mse", None), ("relu_fc", None), ("layer", None), ("model", None),
])
def test_a_class_name_written_as_a_function_stem_is_that_kind(stem, kind):
    from gradlab.kinds import kind_for_stem

    found = kind_for_stem(stem)
    assert (found.name if found else None) == kind


def test_a_pair_named_for_its_class_passes_when_right_and_its_twin_fails_with_the_right_code():
    # wiseodd/hipsternet's fc_forward(X, W, b) / fc_backward(dout, cache) were 'not a layer name gradlab knows'
    right = check_entry(_entries("stems_right.py")["fc"], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("stems_wrong.py")["fc"], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, ["extra-batch-mean"])


def test_multi_head_attention_built_from_its_sizes_passes_when_right_and_its_twin_fails_with_the_right_code():
    found = _entries("attention_right.py")
    assert {n: e.kind for n, e in found.items()} == {"MultiHeadAttention": "multihead_attention"}
    right = check_entry(found["MultiHeadAttention"], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("attention_wrong.py")["MultiHeadAttention"], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, ["dropped-term"])
