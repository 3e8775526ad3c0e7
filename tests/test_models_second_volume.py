"""Whole models as the textbook's second volume writes them, checked as models (gradlab.models.second_volume):
layers keeping params/grads lists, a model gathering them, forward(x, t) returning the loss, backward(dout=1),
float32 weights and buffers, shared and tied weights, stateful RNNs. Fixtures: tests/secondvolume/, our own
repository in those conventions (correct models in models/, one bug per class in buggy/)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from gradlab.cli.main import main
from gradlab.models import adapters
from gradlab.models.check import check_model
from gradlab.models.discover import check_model_files
from gradlab.models.second_volume import PLAUSIBLE, plausible_labels
from gradlab.models.second_volume_float64 import in_float64, promote_to_float64
from gradlab.models.second_volume_parameters import rebound, shared_parameters

ROOT = Path(__file__).parent / "secondvolume"


@pytest.fixture(scope="module")
def correct():
    return {r.name: r for r in check_model_files([ROOT / "models"], examples=2)}


@pytest.fixture(scope="module")
def buggy():
    return {r.name: r for r in check_model_files([ROOT / "buggy"], examples=2)}


def test_every_correct_second_volume_model_passes_at_float64_tolerances(correct):
    assert set(correct) == {"TwoLayerNet", "OneHotContexts", "WindowContexts", "RnnLM", "TiedRnnLM", "Tagger",
                            "RnnLMWithoutReset", "RoundingNet"}
    for report in correct.values():
        assert report.verdict == "pass", report.explain()
        assert report.convention == "volume2" and "computed in float64" in report.case
        if report.name != "RoundingNet":
            assert all(g.precision == "float64" and g.rtol <= 1e-4 for g in report.gradients.values())


def test_a_model_that_rounds_to_float32_where_gradlab_cannot_widen_it_is_judged_there_at_float32(correct):
    # its hidden output goes through a float32 buffer (`from numpy import empty`): the first layer's parameters
    # move the loss by float32 steps, and are judged at float32's tolerances; the last layer's stay float64
    report = correct["RoundingNet"]
    assert "rounds to float32 inside all the same" in report.case
    precision = {p: g.precision for p, g in report.gradients.items()}
    assert precision["params[0]"] == "float32" and precision["params[2]"] == precision["params[3]"] == "float64"


def test_word_models_are_fed_the_data_their_forward_takes(correct):
    assert "contexts (" in correct["WindowContexts"].case and "word ids" in correct["WindowContexts"].case
    assert "window_size=1" in correct["WindowContexts"].case
    assert "one-hot" in correct["OneHotContexts"].case  # MatMul on context rows: ids do not run, one-hot rows do
    assert "xs (" in correct["RnnLM"].case and "ts (" in correct["RnnLM"].case


def test_a_shared_matrix_is_one_parameter_whose_gradient_is_the_sum_of_its_entries(correct):
    # both context layers hold W_in: params[0] and params[1] are one array, judged against grads[0] + grads[1]
    report = correct["WindowContexts"]
    assert list(report.gradients) == ["params[2]", "params[0]"]


def test_a_tied_transposed_embedding_is_checked_where_word_vectors_are_as_long_as_the_state(correct):
    report = correct["TiedRnnLM"]
    assert "params[4]" not in report.gradients  # embed_W.T is params[0] seen transposed: one array
    sizes = report.case.split("wordvec_size=")[1].split(",")[0], report.case.split("hidden_size=")[1].split(")")[0]
    assert sizes[0] == sizes[1]


@pytest.mark.parametrize("name, code, wrong", [
    pytest.param("TwoLayerNetSigmoidBug", "dropped-term", {"params[1]", "params[0]"}, id="sigmoid-layer-bug"),
    pytest.param("RnnLMNoCarry", "dropped-term", {"params[3]", "params[2]", "params[1]", "params[0]"},
                 id="rnn-layer-drops-dh"),
    pytest.param("ContextsNotAveraged", "scaled", {"params[0]"}, id="average-left-out"),
    pytest.param("FirstContextOnly", "dropped-term", {"params[0]"}, id="one-context-of-two"),
    pytest.param("LinearReplacedBias", "zero-gradient", {"params[1]"}, id="grads-entry-replaced"),
    pytest.param("SkipGramOneLoss", "dropped-term", {"params[1]", "params[0]"}, id="one-loss-of-two"),
    pytest.param("TaggerEncoderLeftOut", "zero-gradient", {"params[3]", "params[2]", "params[1]", "params[0]"},
                 id="encoder-left-out"),
])
def test_each_buggy_model_fails_with_its_code_and_only_the_parameters_its_bug_reaches(buggy, name, code, wrong):
    report = buggy[name]
    assert report.verdict == "fail" and report.bug_codes == [code], report.explain()
    assert set(report.blamed) == wrong, report.explain()


@pytest.mark.parametrize("name, layer", [("TwoLayerNetSigmoidBug", "Sigmoid"), ("RnnLMNoCarry", "TimeRNN")])
def test_a_bug_in_a_layer_the_model_calls_is_named_by_that_layer(buggy, name, layer):
    report = buggy[name]
    wrong = [g for g in report.gradients.values() if not g.passed]
    assert wrong and all(f"the layer {layer} (" in g.diagnosis for g in wrong), report.explain()


def test_the_sentences_name_the_layer_holding_a_parameter(buggy):
    said = buggy["ContextsNotAveraged"].gradients["params[0]"].diagnosis
    assert said.startswith("grads[0] + grads[1] (the Embedding's params[0]) is 2 times the true gradient"), said


def test_a_layer_that_replaces_its_grads_entry_is_said_to_as_the_model_keeps_the_old_array(buggy):
    said = buggy["LinearReplacedBias"].gradients["params[1]"].diagnosis
    assert "is no longer the Affine's grads[1]: that layer's backward replaced the array" in said, said


def test_only_a_layer_whose_array_no_layer_holds_any_more_is_said_to_have_replaced_it():
    class Layer:
        def __init__(self, params):
            self.params, self.grads = params, [np.zeros_like(p) for p in params]

    class Time(Layer):  # TimeLSTM's way: a layer per step on the same arrays, each with gradients of its own
        def __init__(self, params):
            super().__init__(params)
            self.steps = [Layer(params), Layer(params)]

    class Model:
        def __init__(self):
            self.layers = [Time([np.ones(2)]), Layer([np.ones(3), np.ones(1)])]
            self.params = [p for layer in self.layers for p in layer.params]
            self.grads = [g for layer in self.layers for g in layer.grads]

    model = Model()
    assert rebound(model) == {}
    model.layers[1].grads[1] = np.ones(1)  # backward's `self.grads[1] = db`
    assert rebound(model) == {2: "the Layer's grads[1]"}


def test_a_stateful_language_model_is_reset_between_evaluations_without_which_it_would_fail(monkeypatch):
    rnnlm = _imported("rnnlm")
    assert check_model(rnnlm.RnnLM, examples=1).verdict == "pass"
    monkeypatch.setattr(rnnlm.RnnLM, "reset_state", lambda self: None)  # the state carried from the last call
    assert check_model(rnnlm.RnnLM, examples=1).verdict == "fail"
    # a model without a reset_state of its own: the stateful layers it holds are reset
    assert check_model(rnnlm.RnnLMWithoutReset, examples=1).verdict == "pass"
    monkeypatch.setattr(rnnlm.TimeRNN, "reset_state", lambda self: None)
    assert check_model(rnnlm.RnnLMWithoutReset, examples=1).verdict == "fail"


def _imported(name):
    sys.path[:0] = [str(ROOT), str(ROOT / "models")]
    try:
        return __import__(name)
    finally:
        del sys.path[:2]


def test_labels_are_drawn_where_the_books_log_of_p_plus_1e_7_is_exact_enough_without_which_it_would_fail(monkeypatch):
    # the fixture's classifier starts from randn weights, its loss takes log(p + 1e-7) as the book's does: a random
    # label of probability 1e-4 makes its exact gradient (p - t) differ from the loss's by 1e-3
    classifier = _imported("classifier")
    assert check_model(classifier.TwoLayerNet, examples=3).verdict == "pass"
    monkeypatch.setattr(adapters, "plausible_labels", lambda *args: None)
    assert check_model(classifier.TwoLayerNet, examples=3).verdict == "fail"


def test_plausible_labels_keep_the_encoding_and_avoid_classes_the_model_finds_nearly_impossible():
    rng = np.random.default_rng(0)
    scores = np.array([[0.0, 0.0, -30.0], [-30.0, 0.0, 0.0]] * 50)
    ids = plausible_labels(scores, np.zeros(100, dtype=int), rng)
    assert ids.dtype == int and set(ids[::2]) == {0, 1} and set(ids[1::2]) == {1, 2}
    one_hot = plausible_labels(scores, np.eye(3)[np.zeros(100, dtype=int)], rng)
    assert one_hot.shape == (100, 3) and one_hot[:, 2][::2].sum() == 0 and PLAUSIBLE < 1
    assert plausible_labels(scores, np.zeros(7, dtype=int), rng) is None  # scores that do not fit the labels


def test_a_model_whose_forward_runs_on_no_data_gradlab_makes_is_skipped_with_what_to_do(capsys):
    status = main(["check", str(ROOT / "unfed"), str(ROOT / "models" / "classifier.py"), "--no-fix-search"])
    said = capsys.readouterr().out
    line = next(s for s in said.splitlines() if s.startswith("SKIP PairClassifier"))
    assert "its forward runs on no data gradlab makes" in line and "IndexError" in line
    assert "run PairClassifier.forward by hand on its data" in line and "FAIL" not in said and status == 0


def test_gradlab_check_on_the_repository_root_checks_the_models_and_their_layers(capsys, tmp_path):
    out = tmp_path / "check.json"
    status = main(["check", str(ROOT / "models"), str(ROOT / "common"), "--no-fix-search", "--json", str(out)])
    said = capsys.readouterr().out
    models = {e["name"]: e["verdict"] for e in json.loads(out.read_text())["layers"] if e.get("kind") == "model"}
    assert models == dict.fromkeys(["TwoLayerNet", "OneHotContexts", "WindowContexts", "RnnLM", "TiedRnnLM", "Tagger",
                                    "RnnLMWithoutReset", "RoundingNet"], "pass")
    assert "PASS TimeRNN (class style" in said and status == 0
    # the encoder a model is built from is no layer gradlab knows: it is checked inside the model, and said so
    skipped = [line for line in said.splitlines() if line.startswith("SKIP") and "not a layer name" in line]
    assert skipped == [f"SKIP {part}: a part of {model}, checked inside it as a whole model (a class with "
                       "forward/backward, but not a layer name gradlab knows)"
                       for part, model in (("Float32Sigmoid", "RoundingNet"), ("Encoder", "Tagger"))], said


def test_float32_arrays_become_float64_with_shared_arrays_and_tied_views_kept():
    class Layer:
        def __init__(self, W):
            self.params, self.grads = [W], [np.zeros_like(W)]

    class Model:
        def __init__(self):
            W = np.arange(6.0).reshape(2, 3).astype("f")
            self.layers = [Layer(W), Layer(W), Layer(W.T)]
            self.params = [p for layer in self.layers for p in layer.params]

    model = Model()
    assert promote_to_float64(model) == 4  # W and the three gradient arrays
    a, b, t = model.params
    assert a.dtype == b.dtype == t.dtype == np.float64 and a is b and model.layers[0].params[0] is a
    a[0, 1] = 7.0
    assert t[1, 0] == 7.0  # the transposed view is a view of the float64 copy
    shared, = shared_parameters(model.params)
    assert shared.grad_name == "grads[0] + grads[1] + grads[2]"
    g = shared.gradient([np.ones((2, 3)), np.ones((2, 3)), np.arange(6.0).reshape(3, 2)])
    assert np.array_equal(g, 2 + np.arange(6.0).reshape(3, 2).T)  # the tied entry's gradient carried back transposed


def test_float32_allocations_in_the_models_code_are_float64_while_it_runs():
    space = {"np": np}
    with in_float64([space]):
        made = space["np"].empty((2, 2), dtype="f"), space["np"].zeros(3, np.float32), space["np"].float32
    assert made[0].dtype == made[1].dtype == np.float64 and made[2] is np.float64 and space["np"] is np
