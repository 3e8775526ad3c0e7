"""Loss layers as published: one label encoding only, a forward-only helper of a layer's name, and a
max-subtracted softmax whose log has no guard. None of them is a false failure; a real bug still is."""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main

INDEX_ONLY = '''
import numpy as np


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return -np.log(self.y[np.arange(x.shape[0]), t]).mean()

    def backward(self, dout=1):
        dx = self.y.copy()
        dx[np.arange(dx.shape[0]), self.t] -= 1
        return dx / dx.shape[0] * dout
'''
# the book's section 5.6.3 layer: forward's cross-entropy reads both encodings, backward's (y - t) / N one-hot only
ONE_HOT_BACKWARD = '''
import numpy as np


def cross_entropy(y, t):
    if t.size == y.size:
        t = t.argmax(axis=1)
    return -np.sum(np.log(y[np.arange(y.shape[0]), t] + 1e-7)) / y.shape[0]


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return cross_entropy(self.y, t)

    def backward(self, dout=1):
        return (self.y - self.t) / self.t.shape[0]
'''
FORWARD_ONLY = '''
import numpy as np


def softmax_loss(X, t):
    X = X - X.max(axis=1, keepdims=True)
    y = np.exp(X) / np.exp(X).sum(axis=1, keepdims=True)
    return -np.sum(t * np.log(y + 1e-7)) / X.shape[0]
'''
UNGUARDED_LOG = '''
import numpy as np


def softmax_loss(x, y):
    shifted = x - np.max(x, axis=1, keepdims=True)
    probs = np.exp(shifted)
    probs /= np.sum(probs, axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    return loss, dx / N
'''


def _check(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "losses.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "20"])
    return json.loads(out.read_text())


def test_a_loss_that_accepts_only_index_labels_is_checked_with_them_and_told_so(tmp_path):
    (layer,) = _check(tmp_path, INDEX_ONLY)["layers"]
    assert layer["verdict"] == "warn" and layer["bug_codes"] == []
    assert any("accepts only index labels" in w["message"] for w in layer["warnings"])


def test_its_bug_is_still_caught_with_the_encoding_it_accepts(tmp_path):
    (layer,) = _check(tmp_path, INDEX_ONLY.replace("return dx / dx.shape[0] * dout", "return dx * dout"))["layers"]
    assert layer["verdict"] == "fail" and layer["bug_codes"][0] == "missing-batch-mean"


def test_a_loss_whose_backward_is_written_for_one_hot_labels_only_is_checked_with_them_not_failed(tmp_path):
    (layer,) = _check(tmp_path, ONE_HOT_BACKWARD)["layers"]
    assert layer["verdict"] == "warn" and layer["bug_codes"] == [], layer
    assert any("accepts only onehot labels" in w["message"] for w in layer["warnings"])
    (buggy,) = _check(tmp_path, ONE_HOT_BACKWARD.replace(") / self.t.shape[0]", ")"))["layers"]
    assert buggy["bug_codes"][:1] == ["missing-batch-mean"], buggy


def test_a_loss_function_that_returns_only_the_loss_is_skipped_not_failed(tmp_path):
    document = _check(tmp_path, FORWARD_ONLY)
    assert document["layers"] == []
    assert any(s["name"] == "softmax_loss" and "returns only the loss" in s["reason"] for s in document["skipped"])


def test_a_max_subtracted_softmax_with_an_unguarded_log_passes_the_extreme_case(tmp_path):
    (layer,) = _check(tmp_path, UNGUARDED_LOG)["layers"]
    # not failed; warned only where the true class's probability underflows to 0, and -log(p) is inf (session 30)
    assert layer["verdict"] == "warn" and [w["code"] for w in layer["warnings"]] == ["non-finite"], layer


def test_a_softmax_without_max_subtraction_still_fails_the_extreme_case_without_a_false_n_1_claim(tmp_path):
    source = UNGUARDED_LOG.replace("shifted = x - np.max(x, axis=1, keepdims=True)", "shifted = x")
    (layer,) = _check(tmp_path, source)["layers"]
    assert layer["verdict"] == "fail" and layer["bug_codes"] == ["non-finite"]
    assert layer["passes_with"] is None


TEMPLATE = '''
def affine_forward(x, w, b):
    out = None
    # TODO: the affine forward pass
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    dx, dw, db = None, None, None
    return dx, dw, db


class Relu:
    def forward(self, x):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError
'''


def test_an_unfinished_course_template_is_listed_as_not_implemented_yet_not_as_a_failure(tmp_path):
    document = _check(tmp_path, TEMPLATE)
    assert document["layers"] == []
    reasons = {s["name"]: s["reason"] for s in document["skipped"]}
    assert reasons["affine"] == "not implemented yet: forward returns None"
    assert reasons["Relu"] == "not implemented yet: forward raises NotImplementedError"


def test_a_template_whose_forward_still_uses_its_none_placeholder_is_not_implemented_yet(tmp_path):
    source = TEMPLATE.replace("    cache = (x, w, b)\n", "    out = out.reshape(len(x), -1)\n    cache = (x, w, b)\n")
    reasons = {s["name"]: s["reason"] for s in _check(tmp_path, source)["skipped"]}
    assert reasons["affine"].startswith("not implemented yet: forward uses a result that is still None")


def test_a_forward_that_returns_none_only_on_some_inputs_fails_it_is_no_template(tmp_path):
    source = TEMPLATE.replace("    out = None\n", "    out = None if x.shape[0] > 2 else x.reshape(len(x), -1) @ w + b\n")
    source = source.replace("    dx, dw, db = None, None, None\n", "    x, w, b = cache\n    dx = (dout @ w.T).reshape(x.shape)\n"
                            "    dw = x.reshape(len(x), -1).T @ dout\n    db = dout.sum(axis=0)\n")
    layers = {layer["name"]: layer for layer in _check(tmp_path, source)["layers"]}
    assert layers["affine"]["verdict"] == "fail" and layers["affine"]["bug_codes"] == ["crashed"]
    assert "returns None on" in layers["affine"]["error"]




def test_a_template_whose_forward_is_written_but_whose_backward_still_returns_nones_is_not_implemented_yet(tmp_path):
    source = TEMPLATE.replace("    out = None\n", "    out = x.reshape(len(x), -1) @ w + b\n")
    document = _check(tmp_path, source)
    reasons = {s["name"]: s["reason"] for s in document["skipped"]}
    assert reasons["affine"] == "not implemented yet: backward returns None for every gradient"
    assert "affine" not in {layer["name"] for layer in document["layers"]}


def test_a_backward_that_returns_none_for_only_some_gradients_fails_it_is_no_template(tmp_path):
    source = TEMPLATE.replace("    out = None\n", "    out = x.reshape(len(x), -1) @ w + b\n")
    source = source.replace("    dx, dw, db = None, None, None\n",
                            "    x, w, b = cache\n    dx, dw, db = (dout @ w.T).reshape(x.shape), None, None\n")
    (layer,) = _check(tmp_path, source)["layers"]
    assert layer["verdict"] == "fail" and layer["bug_codes"] == ["zero-gradient"]
