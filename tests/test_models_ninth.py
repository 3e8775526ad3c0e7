"""Whole models as real course code writes them, where the model check missed a bug or failed a right model.

Fixtures: tests/models_ninth/, our own repository in the textbook's second-volume layout (correct models in models/,
their buggy twins in buggy/). A language model that draws its word vectors tiny (randn / 100, as the book's Rnnlm does)
hid its LSTM's derivative bugs at the linear point of every gate (`gradlab.models.tiny_weights`); a CBOW drawn at scale
1 without predict was failed 0.02% off by the book's log(p + 1e-7), where a random label has p of 1e-4
(`ModelCall.scores` now reads the scores its softmax loss layer is given)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from gradlab.models import adapters, tiny_weights
from gradlab.models.check import check_model
from gradlab.models.tiny_weights import TINY, fan_in_scale, scale_up_tiny

ROOT = Path(__file__).parent / "models_ninth"


def _imported(dotted):
    """The fixture module, its `common`, `models` and `buggy` packages out of sys.modules again afterwards (the
    second-volume fixtures of test_models_second_volume have packages of the same names)."""
    before = set(sys.modules)
    sys.path[:0] = [str(ROOT)]
    try:
        return __import__(dotted, fromlist=["_"])
    finally:
        del sys.path[0]
        for name in set(sys.modules) - before:
            del sys.modules[name]


@pytest.fixture(scope="module")
def lm():
    return _imported("models.lstm_lm"), _imported("buggy.lstm_lm")


@pytest.fixture(scope="module")
def cbow():
    return _imported("models.context_words"), _imported("buggy.context_words")


def test_a_language_model_with_tiny_word_vectors_passes_and_says_they_were_scaled_up(lm):
    report = check_model(lm[0].LstmLM, examples=2)
    assert report.verdict == "pass", report.explain()
    assert "weights drawn tiny scaled up for the check: params[0] (drawn at RMS 0.0" in report.case


@pytest.mark.parametrize("name", ["LstmLMOutputGateSlope", "LstmLMInputGateSlope"])
def test_an_lstm_derivative_bug_is_seen_inside_a_model_whose_word_vectors_are_drawn_tiny(lm, name):
    report = check_model(getattr(lm[1], name), examples=1)
    assert report.verdict == "fail", report.explain()
    # the LSTM's own arrays (params[1..3]: Wx, Wh, b) are wrong, and the embedding below it
    assert {"params[1]", "params[3]", "params[0]"} <= set(report.blamed)


@pytest.mark.parametrize("name", ["LstmLMOutputGateSlope", "LstmLMInputGateSlope"])
def test_the_same_lstm_bug_is_invisible_at_the_word_vectors_the_model_draws(lm, name, monkeypatch):
    # what the check did before: every gate at sigmoid(~0.01), the bug ~1e-5 of its gradient, under any tolerance
    monkeypatch.setattr(tiny_weights, "TINY", 0.0)
    assert check_model(getattr(lm[1], name), examples=1).verdict == "pass"


def test_only_weight_arrays_drawn_tiny_are_scaled_up_to_their_fan_in_scale_in_place():
    rng = np.random.default_rng(0)
    embed = rng.standard_normal((20, 4)) / 100
    tied = embed.T  # BetterRnnlm's output layer takes the embedding transposed: one array
    params = {"embed": embed, "bias": np.full(4, 1e-3), "zeros": np.zeros((3, 4)), "scaled_0.1": 0.1 * np.ones((5, 3)),
              "filters": 1e-3 * rng.standard_normal((2, 3, 3, 3))}
    before = {k: v.copy() for k, v in params.items()}
    scaled = scale_up_tiny(params)
    assert set(scaled) == {"embed", "filters"}
    assert np.sqrt(np.mean(embed ** 2)) == pytest.approx(fan_in_scale((20, 4))) == pytest.approx(1 / np.sqrt(20))
    assert np.sqrt(np.mean(params["filters"] ** 2)) == pytest.approx(1 / np.sqrt(27))  # C * kh * kw inputs
    assert np.allclose(tied, embed.T) and tied.base is embed
    for k in ("bias", "zeros", "scaled_0.1"):
        assert np.array_equal(params[k], before[k])
    assert 0.1 > TINY  # gradlab's own weight_scale for CS231n models is not tiny


def test_a_nielsen_matrix_is_scaled_by_its_columns_its_inputs():
    w = np.full((3, 16), 1e-3)
    scale_up_tiny({"weights[0]": w}, rows_in=False)
    assert np.sqrt(np.mean(w ** 2)) == pytest.approx(0.25)


def test_a_model_without_predict_and_the_books_log_of_p_plus_1e_7_passes_at_scale_1_weights(cbow):
    report = check_model(cbow[0].PlainCBOW, examples=2)
    assert report.verdict == "pass", report.explain()
    assert "labels the model finds plausible" in report.case


def test_its_buggy_twin_still_fails_where_the_bug_is(cbow):
    report = check_model(cbow[1].CBOWRightContextNotHalved, examples=1)
    assert report.verdict == "fail" and report.blamed == ["params[0]"], report.explain()


def test_without_the_scores_of_its_loss_layer_the_labels_stay_improbable_and_the_right_model_fails(cbow, monkeypatch):
    # the cause of the 0.02%: a random label the scale-1 model gives p ~ 1e-4, where 1e-7 / p shows
    monkeypatch.setattr(adapters, "class_loss_layer", lambda model: None)
    assert check_model(cbow[0].PlainCBOW, examples=2).verdict == "fail"


def test_a_second_volume_model_built_from_an_image_shape_is_fed_images(monkeypatch):
    # the first volume's SimpleConvNet rewritten in the second volume's convention (corner0530's): input_dim=(1, 28,
    # 28) and a forward that unpacks N, C, H, W; fed flat features it was set aside as runnable on no data
    right, buggy = _imported("models.image_net"), _imported("buggy.image_net")
    report = check_model(right.ImageNet, examples=1)
    assert report.verdict == "pass", report.explain()
    assert "x (5, 1, 8, 8)" in report.case
    wrong = check_model(buggy.ImageNetBiasAveraged, examples=1)
    assert wrong.verdict == "fail" and wrong.blamed == ["params[1]"], wrong.explain()


def test_a_cs231n_model_keeping_self_parameters_with_a_keyword_regularisation_is_checked_with_it():
    # Maxstef's TwoLayerNet: self.parameters, loss(features, labels=None, *, regularization_strength=0.0)
    right, buggy = _imported("models.learner_net"), _imported("buggy.learner_net")
    report = check_model(right.LearnerNet, examples=2)
    assert report.verdict == "pass" and list(report.gradients) == ["W2", "b2", "W1", "b1"], report.explain()
    # the twin's bug is in the penalty alone: it fails only because the strength is given, non-zero
    wrong = check_model(buggy.LearnerNetHalfPenalty, examples=1)
    assert wrong.verdict == "fail" and set(wrong.blamed) == {"W2", "W1"}, wrong.explain()


def test_gradlab_check_finds_the_learners_model_in_its_file(capsys):
    from gradlab.cli.main import main

    assert main(["check", str(ROOT / "models" / "learner_net.py"), "--no-fix-search"]) == 0
    assert "PASS LearnerNet (CS231n model" in capsys.readouterr().out


def test_a_word_vector_size_spelled_vec_size_or_vector_size_is_given_one(lm):
    # Nokomon's SimpleRnnlm(vocab_size, vec_size, hidden_size), Seq2seq(vocab_size, vector_size, hidden_size): set
    # aside as "gradlab does not know what to give 'vector_size'"
    report = check_model(lm[0].LstmLMVectorSize, examples=1)
    assert report.verdict == "pass" and "vector_size=" in report.case, report.explain()
    assert check_model(lm[1].LstmLMVectorSizeOutputGateSlope, examples=1).verdict == "fail"


def test_a_loss_that_differs_when_computed_again_stops_the_check_with_what_to_do(lm, monkeypatch):
    # a stateful LSTM gradlab cannot reset carries the last call's state into the next: no derivative to measure
    monkeypatch.setattr(lm[0].LstmLM, "reset_state", lambda self: None)
    monkeypatch.setattr(lm[0].TimeLSTM, "reset_state", lambda self: None)
    report = check_model(lm[0].LstmLM, examples=1)
    assert report.verdict == "fail" and not report.gradients, report.explain()
    (finding,) = report.findings
    assert finding.code == "stale-parameters" and "computed again at the same parameters" in finding.message
    assert "reset_state()" in finding.message


def test_the_scores_of_a_textbook_net_without_predict_are_those_its_loss_layer_is_given():
    # the allowance for the book's log(p + 1e-7) reads p off the scores; without predict, off its last layer's input
    net_module = _imported("models.textbook_no_predict")
    report = check_model(net_module.NoPredictNet, examples=1)
    assert report.verdict == "pass", report.explain()
    np.random.seed(0)
    net = net_module.NoPredictNet(4, 3, 5)
    x, t = np.random.default_rng(0).standard_normal((6, 4)), np.arange(6) % 5
    call = adapters.ModelCall("textbook", net, net.params, {}, 6, {"X": x, "y": t})
    scores, labels = call.scores()
    h = np.tanh(x @ net.params["W1"] + net.params["b1"])
    assert np.allclose(scores, h @ net.params["W2"] + net.params["b2"]) and labels is t
