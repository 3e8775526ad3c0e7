"""Layer kinds the curriculum and learners' projects use that gradlab did not recognise (issue 10, session 30): a
positional encoding added to a sequence (the transformer's sinusoidal table, with no parameter, and a learned one),
the Kullback-Leibler divergence loss (on probabilities, and on log-probabilities as PyTorch's KLDivLoss takes them)
and the 1-D transposed convolution. Each is proved on the zoo (correct layers pass, buggy ones fail with their
intended code) and on files of our own in the conventions real code uses (tests/fixtures/kinds_fourteenth): a right
layer passes, its twin with one slip fails with the right code."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS, WARN
from gradlab.kinds import kind_for_class, kind_for_loss_function, kind_for_stem

NEW = ("positional_encoding", "kl_div_loss", "conv_transpose1d")
#: transformers' positional encodings are written as modules
CLASSES_ONLY = ("positional_encoding",)
ZOO = {name: e for name, e in load_reference().items() if e.kind in NEW}
CORRECT = sorted(n for n, e in ZOO.items() if not e.is_buggy)
BUGGY = sorted(n for n, e in ZOO.items() if e.is_buggy)
FIXTURES = Path(__file__).parent / "fixtures" / "kinds_fourteenth"

_FOUND: dict[str, dict] = {}


def _entries(target: str) -> dict:
    """The entries discovered in a fixture file, read once per test session."""
    if target not in _FOUND:
        _FOUND[target] = {e.name: e for found in discover([FIXTURES / target]) for e in found.entries}
    return _FOUND[target]


def test_the_zoo_holds_a_correct_layer_of_each_new_kind_in_its_conventions_and_a_buggy_one():
    for kind in NEW:
        conventions = {"class"} if kind in CLASSES_ONLY else {"class", "function"}
        assert {ZOO[n].convention for n in CORRECT if ZOO[n].kind == kind} == conventions, kind
        assert any(ZOO[n].kind == kind for n in BUGGY), kind


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_layer_of_a_new_kind_passes(name):
    report = check_entry(ZOO[name], examples=10, seed=2)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_layer_of_a_new_kind_fails_with_its_intended_code_first(name):
    entry = ZOO[name]
    report = check_entry(entry, examples=10, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == entry.bug, report.bug_codes


@pytest.mark.parametrize(("name", "kind"), [
    ("PositionalEncoding", "positional_encoding"), ("SinusoidalPositionalEncoding", "positional_encoding"),
    ("PositionalEmbedding", "positional_encoding"), ("LearnedPositionalEmbedding", "positional_encoding"),
    ("positional_embedding", "positional_encoding"), ("PosEncoding", "positional_encoding"),
    ("KLDivLoss", "kl_div_loss"), ("KLDiv", "kl_div_loss"), ("KLDivergence", "kl_div_loss"),
    ("Loss_KLDivergence", "kl_div_loss"), ("KullbackLeiblerDivergence", "kl_div_loss"),
    ("ConvTranspose1d", "conv_transpose1d"), ("Conv1DTranspose", "conv_transpose1d"),
    ("TransposedConv1d", "conv_transpose1d"), ("conv_transpose1d", "conv_transpose1d"),
    ("Deconv1d", "conv_transpose1d"),
    # the kinds these names stood for before stay theirs
    ("ConvTranspose2d", "conv_transpose"), ("ConvTranspose", "conv_transpose"), ("Conv1d", "conv1d"),
    ("Embedding", "embedding"), ("NLLLoss", "nll_loss"), ("CrossEntropyLoss", "categorical_crossentropy"),
])
def test_a_new_kind_is_found_under_its_usual_spellings_and_old_names_keep_their_kinds(name, kind):
    found = kind_for_class(name) or kind_for_stem(name)
    assert (found.name if found else None) == kind


def test_a_kl_divergence_written_as_a_function_is_found_by_its_usual_names():
    for name in ("kl_div_loss", "kl_divergence", "kl_div"):
        assert getattr(kind_for_loss_function(name), "name", None) == "kl_div_loss", name


#: each learner-style layer's kind and the code its twin's slip must be given first
LEARNERS = {"PositionalEncoding": ("positional_encoding", "mismatch"),
            "PositionalEmbedding": ("positional_encoding", "dropped-term"),
            "Loss_KLDivergence": ("kl_div_loss", "missing-batch-mean"), "KLDiv": ("kl_div_loss", "sign-flip"),
            "ConvTranspose1d": ("conv_transpose1d", "wrong-reduction")}


def test_layers_written_in_learners_styles_are_recognised_as_their_kinds():
    for file in ("learners_right.py", "learners_wrong.py"):
        assert {n: e.kind for n, e in _entries(file).items()} == {n: k for n, (k, _) in LEARNERS.items()}, file


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_a_learner_style_layer_passes_when_right_and_its_twin_fails_with_the_right_code(name):
    right = check_entry(_entries("learners_right.py")[name], examples=10, seed=0)
    assert right.verdict in (PASS, WARN), right.bug_codes
    wrong = check_entry(_entries("learners_wrong.py")[name], examples=5, seed=0)
    assert (wrong.verdict, list(wrong.bug_codes[:1])) == (FAIL, [LEARNERS[name][1]])


def test_a_learned_position_table_built_from_its_sizes_is_given_the_cases_table_and_its_gradient_is_checked():
    report = check_entry(_entries("learners_right.py")["PositionalEmbedding"], examples=5, seed=0)
    assert set(report.worst) == {"dx", "dweight"}  # the layer's own spelling


def test_a_sinusoidal_encoding_keeping_a_long_constant_table_is_checked_on_dx_alone():
    report = check_entry(_entries("learners_right.py")["PositionalEncoding"], examples=5, seed=0)
    assert set(report.worst) == {"dx"}


def test_a_homeworks_transposed_convolution_built_from_two_layers_is_set_aside_and_the_two_are_checked():
    outcome = check_paths([FIXTURES / "cmu_hw2"], examples=5, seed=0)
    assert {r.name: r.verdict for r in outcome.reports} == {"Conv1d_stride1": PASS, "Upsample1d": PASS}
    skipped = dict(outcome.skipped)
    assert "check Conv1d_stride1 itself" in skipped["ConvTranspose1d"]


# --- kind cases: an affine sandwich given images, a softmax loss where a probability underflows ---------------------

def _one(path: str, name: str):
    (entry,) = [e for found in discover([FIXTURES / path]) for e in found.entries if e.name == name]
    return check_entry(entry, examples=20, seed=0)


def test_an_affine_relu_sandwich_is_right_on_images_as_on_vectors():
    report = _one("sandwich/layer_utils_right.py", "affine_relu")
    assert report.verdict == PASS, report.bug_codes


def test_an_affine_relu_sandwich_whose_dx_is_never_reshaped_back_to_the_images_is_named_wrong_shape():
    report = _one("sandwich/layer_utils_wrong.py", "affine_relu")
    assert (report.verdict, list(report.bug_codes[:1])) == (FAIL, ["wrong-shape"])


def test_an_affine_relu_sandwich_written_for_vectors_only_is_checked_on_vectors_and_passes():
    report = _one("sandwich/layer_utils_flat.py", "affine_relu")
    assert report.verdict == PASS, (report.bug_codes, report.warnings)
    assert report.worst["dx"].shape[1:] == report.worst["dw"].shape[:1]  # x (N, D) with D the rows of W


def _underflow_warned(report) -> bool:
    return any(w.code == "non-finite" and "underflows" in w.message for w in report.warnings)


def test_a_softmax_loss_taking_log_of_unguarded_probabilities_is_warned_where_one_underflows_not_failed():
    report = _one("softmax_losses.py", "softmax_loss")
    assert report.verdict == WARN and report.bug_codes == [] and _underflow_warned(report), report.warnings


@pytest.mark.parametrize("name", ["SoftmaxWithLoss", "SoftmaxCrossEntropy"])
def test_a_softmax_loss_with_a_guard_or_a_log_softmax_gets_no_underflow_warning(name):
    report = _one("softmax_losses.py", name)
    assert report.verdict != FAIL and not _underflow_warned(report), report.warnings


def test_every_correct_softmax_loss_of_the_zoo_stays_a_pass_and_one_without_its_max_shift_still_fails():
    zoo = load_reference()
    for name in ("SoftmaxWithLoss", "softmax_loss", "SoftmaxCategoricalCrossentropy"):
        assert check_entry(zoo[name], examples=5, seed=0).verdict == PASS, name
    report = check_entry(zoo["softmax_loss_no_max_shift"], examples=5, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["non-finite"]
