"""The model zoo (reference/models.py, reference/zoo_models_*.py): every correct model passes, every buggy
one is caught and localised to exactly the parameters its bug makes wrong, and the registry report and a
user's report show models with what was meant next to what was found."""

from __future__ import annotations

import json
import types
from dataclasses import replace

import pytest
from gradlab.reference.models import FullyConnectedNet, TwoLayerNet, dropout_backward

from gradlab.cli.main import main
from gradlab.models.check import check_model
from gradlab.models.zoo import check_model_zoo, load_model_zoo, models_in, register_model
from gradlab.reporting import plots, writer
from gradlab.reporting.model_rows import model_summary, model_summary_sentence
from gradlab.reporting.report import registry_document

#: zoo models whose intended code gradlab does not give yet. None now: the two wrong-inputs a model check alone
#: could not see are named by the batch norm layer the model calls, checked on its own, and by re-running the
#: model with sigmoid_grad taking the other array (gradlab.models.inner)
NOT_NAMED_YET: set[str] = set()


@pytest.fixture(scope="module")
def zoo():
    return check_model_zoo()


def test_the_zoo_has_at_least_twelve_buggy_models_in_each_of_the_three_conventions(zoo):
    buggy = [m for m in zoo if m.intended_bug]
    assert len(buggy) >= 12
    assert {m.convention for m in buggy} == {"cs231n", "textbook", "nielsen"}
    assert {m.convention for m in zoo if not m.intended_bug} == {"cs231n", "textbook", "nielsen"}


def test_every_correct_zoo_model_passes_with_every_parameter_right(zoo):
    for m in zoo:
        if m.intended_bug is None:
            assert m.verdict == "pass" and m.gradients and not m.blamed, m.explain()


def test_every_buggy_zoo_model_is_caught_and_blames_exactly_its_wrong_parameters(zoo):
    for m in zoo:
        if m.intended_bug is not None:
            assert m.verdict == "fail", m.explain()
            assert set(m.blamed) == set(m.intended_wrong), m.explain()
            assert m.origin == next(p for p in m.gradients if p in m.intended_wrong or p in m.blamed)


def test_every_buggy_zoo_model_is_given_its_intended_code(zoo):
    unnamed = {m.name for m in zoo if m.intended_bug and m.intended_bug not in m.bug_codes}
    assert unnamed == NOT_NAMED_YET


def test_a_model_registered_as_buggy_whose_gradients_are_right_is_counted_as_not_caught():
    @register_model(bug="dropped-term", wrong={"W1"})
    class LooksBuggyButIsNot(TwoLayerNet):
        pass

    entry = vars(LooksBuggyButIsNot)["__gradlab_model__"]
    report = replace(check_model(entry.target), intended_bug=entry.bug, intended_wrong=tuple(entry.wrong))
    s = model_summary([report])
    assert (s["models_caught"], s["models_localised"], s["models_named"]) == (0, 0, 0)
    assert "0/1 buggy models caught" in model_summary_sentence(s)


@pytest.mark.parametrize("call, message", [
    (lambda: register_model(bug="no-such-code", wrong={"W1"}), "unknown bug code"),
    (lambda: register_model(bug="dropped-term"), "names the parameters"),
    (lambda: register_model(wrong={"W1"}), "names the parameters"),
    (lambda: register_model()(len), "model class"),
], ids=["unknown code", "buggy without parameters", "correct with parameters", "not a class"])
def test_a_bad_registration_is_refused_in_one_line_saying_what_to_do(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_a_subclass_of_a_registered_model_is_not_registered_by_inheritance():
    names = {e.name for e in load_model_zoo()}
    assert "TwoLayerNet" in names and len(names) == len(load_model_zoo())
    module = types.ModuleType("m")

    class Child(TwoLayerNet):
        pass

    Child.__module__ = "m"
    module.Child = Child
    assert models_in(module) == []


def _dropout_backward_without_rescale(dout, cache):
    return dropout_backward(dout, cache) * cache[0]["p"]  # the mask applied, the 1 / p forgotten


def test_a_dropout_bug_that_is_a_plain_factor_keeps_its_own_code_not_missing_mask():
    class KeepRatioForgotten(FullyConnectedNet):
        dropout_backward = staticmethod(_dropout_backward_without_rescale)

    report = check_model(KeepRatioForgotten, options={"dropout_keep_ratio": 0.5})
    assert report.verdict == "fail" and "missing-mask" not in report.bug_codes
    assert report.gradients["b1"].bug_code == "scaled", report.explain()


def test_the_registry_report_has_a_models_table_and_counts_them_in_its_summary(zoo, tmp_path, monkeypatch):
    monkeypatch.setattr(plots, "available", lambda: False)
    doc = registry_document([], zoo)
    s = doc.json["summary"]
    assert s["models_buggy"] == len([m for m in zoo if m.intended_bug])
    assert s["models_localised"] == s["models_caught"] == s["models_buggy"]
    assert f"{s['models_buggy'] - len(NOT_NAMED_YET)}/{s['models_buggy']} named correctly" in doc.summary
    text = writer.markdown(doc)
    assert "## Models" in text and "| model | convention | intended |" in text
    row = next(line for line in text.splitlines() if line.startswith("| NetworkTransposedNablaW |"))
    assert "| transposed | fail | transposed | weights[1], weights[0] | weights[1], weights[0] | weights[1] |" in row
    named = next(line for line in text.splitlines() if line.startswith("| TextbookTwoLayerNetSigmoidGradOfOutput"))
    assert "| wrong-input | fail | wrong-input |" in named and "⚠" not in named
    # a model given another code than the one meant is flagged in its row
    misnamed = [replace(m, intended_bug="sign-flip") if m.name == "TextbookTwoLayerNetSigmoidGradOfOutput" else m
                for m in zoo]
    flagged = next(line for line in writer.markdown(registry_document([], misnamed)).splitlines()
                   if line.startswith("| TextbookTwoLayerNetSigmoidGradOfOutput"))
    assert "fail ⚠" in flagged
    rows = {r["model"]: r for r in doc.json["model_rows"]}
    assert rows["TwoLayerNetBiasNotSummed"]["blamed"] == ["b1"]
    assert "/work/" not in json.dumps(doc.json["models"])  # sources relative: the same bytes on every machine


USER_MODELS = '''
import numpy as np


class TwoLayerNet:
    def __init__(self, input_dim=10, hidden_dim=5, num_classes=3, reg=0.0):
        self.reg = reg
        self.params = {"W1": 0.1 * np.random.randn(input_dim, hidden_dim), "b1": np.zeros(hidden_dim),
                       "W2": 0.1 * np.random.randn(hidden_dim, num_classes), "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        p = self.params
        h = np.maximum(0, X @ p["W1"] + p["b1"])
        scores = h @ p["W2"] + p["b2"]
        if y is None:
            return scores
        e = np.exp(scores - scores.max(axis=1, keepdims=True))
        probs = e / e.sum(axis=1, keepdims=True)
        N = X.shape[0]
        loss = -np.log(probs[np.arange(N), y]).mean() + 0.5 * self.reg * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        d = probs.copy()
        d[np.arange(N), y] -= 1
        d /= N
        grads = {"W2": h.T @ d + self.reg * p["W2"], "b2": d.sum(axis=0)}
        dh = (d @ p["W2"].T) * (h > 0)
        grads["W1"] = X.T @ dh  # the regularisation term forgotten here
        grads["b1"] = dh.sum(axis=0)
        return loss, grads
'''


def test_gradlab_report_on_a_file_of_models_shows_them_as_gradlab_check_does(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(plots, "available", lambda: False)
    f = tmp_path / "my_net.py"
    f.write_text(USER_MODELS)
    out = tmp_path / "out"
    assert main(["report", str(f), "--out", str(out), "--no-progress"]) == 1
    said = capsys.readouterr().out
    assert "1 model checked: 0 passed, 0 warned, 1 failed (TwoLayerNet: dropped-term at W1)" in said
    text = (out / "report.md").read_text()
    assert "## Models" in text and "| TwoLayerNet |" in text and "| dropped-term | W1 | W1 |" in text
    document = json.loads((out / "report.json").read_text())
    entry = next(e for e in document["layers"] if e["kind"] == "model")
    assert entry["origin"] == "W1" and entry["gradients"]["W1"]["bug_codes"] == ["dropped-term"]
    assert document["summary"]["fail"] == 1
    from gradlab.schemas import schema

    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(document, schema("gradlab-report/1"))
