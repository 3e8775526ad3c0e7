"""Names and kinds real course code has that gradlab did not recognise (issue 10, the reach study of session 26):
names read as words (a loss's in any order, any other layer's in their order), and the kinds huber_loss,
bce_with_logits, sigmoid_crossentropy_combined, focal_loss, residual_block and birnn. Each is proved on the zoo
(correct layers pass, buggy ones fail with their intended code and, where the fix is one edit, get it verified) and on
files of our own in the learners' conventions (tests/fixtures/kinds_tenth): a right layer passes, its twin with one
slip fails with the right code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS, WARN
from gradlab.fixes import find_fix
from gradlab.kinds import KINDS, build_case, kind_for_class, kind_for_stem

NEW = ("huber_loss", "bce_with_logits", "sigmoid_crossentropy_combined", "focal_loss", "residual_block", "birnn")
ZOO = {name: e for name, e in load_reference().items() if e.kind in NEW}
CORRECT = sorted(n for n, e in ZOO.items() if not e.is_buggy)
BUGGY = sorted(n for n, e in ZOO.items() if e.is_buggy)
#: the one whose fix is a term to write (listed in test_fixes' NOT_ONE_EDIT, whose test runs its search)
NOT_ONE_EDIT = {"TimeBiRNNUnflippedDx"}
FIXTURES = Path(__file__).parent / "fixtures" / "kinds_tenth"


@pytest.mark.parametrize(("name", "kind"), [
    # a loss's words in any order, `loss`/`with`/`activation` optional, abbreviations spelled out
    ("Cross_Entropy", "categorical_crossentropy"), ("CrossEntropyLoss", "categorical_crossentropy"),
    ("SoftmaxCE", "softmax_with_loss"), ("Loss_MeanSquared", "mse_loss"), ("BCELossNaive", "binary_crossentropy"),
    ("Loss_CategoricalCrossEntropy_Activation_Softmax", "softmax_crossentropy_combined"),
    ("Activation_Sigmoid_Loss_BinaryCrossentropy", "sigmoid_crossentropy_combined"),
    ("Loss_BinaryCrossentropy_Activation_Sigmoid", "sigmoid_crossentropy_combined"),
    ("BCEWithLogitsLoss", "bce_with_logits"), ("HuberLoss", "huber_loss"), ("SmoothL1Loss", "huber_loss"),
    ("FocalLoss", "focal_loss"), ("BinaryFocalLoss", "focal_loss"),
    # any other layer's words in their order, wrapping words dropped at either end
    ("LinearNaive", "affine"), ("NumpyLinear", "affine"), ("SigmoidNaive", "sigmoid"), ("BatchNorm1d", "batchnorm"),
    ("BatchNorm2d", "spatial_batchnorm"), ("AvgPool2d", "avg_pool"), ("TimeBiRNN", "birnn"),
    ("AffineBatchRelu", "affine_bn_relu"),
    # published ResidualBlock and BiRNN classes are mostly convolutional, or keep their weights in inner layers
    ("ResidualBlock", None), ("BiRNN", None),
    # what the words do not spell stays unknown: the order of a composite is what it computes, `Loss` is a loss
    ("ReluAffine", None), ("SigmoidLoss", None), ("Loss", None), ("Activation_Linear", None), ("Model", None),
])
def test_a_class_name_is_read_as_words(name, kind):
    found = kind_for_class(name)
    assert (found.name if found else None) == kind


@pytest.mark.parametrize(("stem", "kind"), [
    ("affine_batch_relu", "affine_bn_relu"), ("affine_layer_relu", "affine_ln_relu"),
    ("conv_batch_relu", "conv_bn_relu"),
    ("residual_block", "residual_block"), ("birnn", "birnn"), ("bidirectional_rnn", "birnn"),
    ("relu_affine", None), ("affine_relu_dropout", None), ("_rnn", None),
])
def test_a_function_stem_is_read_as_words_in_their_order(stem, kind):
    found = kind_for_stem(stem)
    assert (found.name if found else None) == kind


def test_the_zoo_holds_a_correct_layer_of_each_new_kind_and_a_buggy_one():
    for kind in NEW:
        assert any(ZOO[n].kind == kind for n in CORRECT) and any(ZOO[n].kind == kind for n in BUGGY), kind
    for kind in ("huber_loss", "bce_with_logits", "focal_loss", "residual_block", "birnn"):
        assert {ZOO[n].convention for n in CORRECT if ZOO[n].kind == kind} == {"class", "function"}, kind


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_layer_of_a_new_kind_passes(name):
    report = check_entry(ZOO[name], examples=10, seed=2)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.sample(by=lambda name: ZOO[name].kind)  # each kind's first; test_zoo checks every variant's code
@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_layer_of_a_new_kind_fails_with_its_code_and_a_one_edit_bug_gets_a_verified_fix(name):
    entry = ZOO[name]
    report = check_entry(entry, examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == entry.bug, report.bug_codes
    if name in NOT_ONE_EDIT:
        return  # test_fixes proves the search finds nothing to show for these (an exhaustive search: seconds)
    fix = find_fix(entry, report, examples=10, seed=0)
    assert fix is not None and fix.status == "verified" and len(fix.lines) == 1, fix


_FOUND: dict[str, dict] = {}


def _entries(file: str) -> dict:
    """The entries discovered in a fixture file, read once per test session."""
    if file not in _FOUND:
        _FOUND[file] = {e.name: e for found in discover([FIXTURES / file]) for e in found.entries}
    return _FOUND[file]


RIGHT_KINDS = {
    "losses": {"Cross_Entropy": "categorical_crossentropy", "CrossEntropyLoss": "categorical_crossentropy",
               "SoftmaxCE": "softmax_with_loss", "Loss_MeanSquared": "mse_loss", "SmoothL1Loss": "huber_loss",
               "BinaryFocalLoss": "focal_loss", "BCEWithLogitsLoss": "bce_with_logits",
               "Loss_BinaryCrossentropy_Activation_Sigmoid": "sigmoid_crossentropy_combined",
               "Loss_CategoricalCrossEntropy_Activation_Softmax": "softmax_crossentropy_combined",
               "CategoricalCrossEntropyLoss": "categorical_crossentropy"},
    "layers": {"BatchNorm1d": "batchnorm", "BatchNormalization1D": "batchnorm", "LinearNaive": "affine",
               "affine_batch_relu": "affine_bn_relu",
               "affine_layer_relu": "affine_ln_relu", "ResidualBlock": "residual_block",
               "residual_block": "residual_block", "TimeBiRNN": "birnn", "birnn": "birnn"},
}
#: each twin's slip and the code it must be given first
WRONG_CODES = {
    "losses": {"Cross_Entropy": "missing-batch-mean", "CrossEntropyLoss": "sign-flip",
               "SoftmaxCE": "missing-batch-mean",
               "Loss_MeanSquared": "sign-flip", "SmoothL1Loss": "scaled", "BinaryFocalLoss": "dropped-term",
               "BCEWithLogitsLoss": "wrong-input", "Loss_BinaryCrossentropy_Activation_Sigmoid": "missing-batch-mean",
               "Loss_CategoricalCrossEntropy_Activation_Softmax": "sign-flip",
               "CategoricalCrossEntropyLoss": "sign-flip"},
    "layers": {"BatchNorm1d": "wrong-reduction", "BatchNormalization1D": "extra-batch-mean",
               "LinearNaive": "transposed", "affine_batch_relu": "wrong-reduction",
               "affine_layer_relu": "couples-samples", "ResidualBlock": "dropped-term", "residual_block": "scaled",
               "TimeBiRNN": "dropped-term", "birnn": "dropped-term"},
}


@pytest.mark.parametrize("group", sorted(RIGHT_KINDS))
def test_learners_layers_under_these_names_are_recognised_as_their_kinds(group):
    for file in (f"{group}_right.py", f"{group}_wrong.py"):
        assert {n: e.kind for n, e in _entries(file).items()} == RIGHT_KINDS[group], file


@pytest.mark.parametrize(("group", "name"), [(g, n) for g, names in sorted(RIGHT_KINDS.items()) for n in sorted(names)])
def test_a_learners_layer_under_such_a_name_passes_when_right_and_its_twin_fails_with_the_right_code(group, name):
    right = check_entry(_entries(f"{group}_right.py")[name], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries(f"{group}_wrong.py")[name], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, [WRONG_CODES[group][name]])


@st.composite
def _sizes(draw, name: str) -> dict:
    return {"N": 2, "seed": 1, **KINDS[name].draw_shape(draw)}


@settings(max_examples=25, deadline=None)
@given(residual=_sizes("residual_block"), birnn=_sizes("birnn"), fused=_sizes("sigmoid_crossentropy_combined"))
def test_the_tied_sizes_are_drawn_distinct_and_the_fused_sigmoid_loss_has_one_output(residual, birnn, fused):
    case = build_case(KINDS["residual_block"], residual)
    # the branch maps D to H and back: D != H, so a transposed weight shows in its shape
    assert residual["D"] != residual["H"] and case.params["W1"].shape == (residual["D"], residual["H"])
    assert case.params["W2"].shape == (residual["H"], residual["D"]) and case.params["b2"].shape == (residual["D"],)
    case = build_case(KINDS["birnn"], birnn)
    assert len({birnn["T"], birnn["D"], birnn["H"]}) == 3 and case.x.shape == (2, birnn["T"], birnn["D"])
    assert case.params["Wx2"].shape == (birnn["D"], birnn["H"]) and case.params["Wh1"].shape == (birnn["H"],) * 2
    case = build_case(KINDS["sigmoid_crossentropy_combined"], fused)
    assert case.x.shape == (2, 1) and case.t is not None and set(np.unique(case.t)) <= {0, 1}
