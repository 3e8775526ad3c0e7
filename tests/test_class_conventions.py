"""Class-style layers in the conventions of published code are checked as they are written.

Each file below is written the way a learner or a course writes it (sizes in the constructor,
weights stored (out, in), an SGD step inside `backward(grad, learning_rate)`, the second volume's
parameter lists, private attributes); a correct one passes, and its one-bug twin fails with its code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

LEARNER = '''
import numpy as np


class Dense:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size)
        self.bias = np.random.randn(output_size, 1)

    def forward(self, input):
        self.input = input
        return (self.weights @ input.T + self.bias).T

    def backward(self, output_gradient, learning_rate):
        weights_gradient = output_gradient.T @ self.input
        input_gradient = output_gradient @ self.weights
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient.sum(axis=0).reshape(-1, 1)
        return input_gradient


class Tanh:
    def forward(self, input):
        self.input = input
        return np.tanh(input)

    def backward(self, output_gradient, learning_rate):
        return output_gradient * (1 - np.tanh(self.input) ** 2)
'''
SECOND_VOLUME = '''
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return np.dot(x, W) + b

    def backward(self, dout):
        W, b = self.params
        dx = np.dot(dout, W.T)
        self.grads[0][...] = np.dot(self.x.T, dout)
        self.grads[1][...] = np.sum(dout, axis=0)
        return dx
'''
CONSTRUCTOR_LR = '''
import numpy as np


class FC:
    def __init__(self, n_in, n_out, lr):
        self.W = np.random.randn(n_in, n_out) * 0.01
        self.b = np.zeros(n_out)
        self.lr = lr

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        dx = dout @ self.W.T
        self.W -= self.lr * (self.x.T @ dout)
        self.b -= self.lr * dout.sum(axis=0)
        return dx
'''


def _check(tmp_path: Path, source: str) -> dict[str, dict]:
    path = tmp_path / "layers.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "20"])
    return {layer["name"]: layer for layer in json.loads(out.read_text())["layers"]}


@pytest.mark.parametrize("source, names", [
    pytest.param(LEARNER, {"Dense", "Tanh"}, id="sizes-and-backward-with-a-learning-rate"),
    pytest.param(SECOND_VOLUME, {"Affine"}, id="second-volume-parameter-lists"),
    pytest.param(CONSTRUCTOR_LR, {"FC"}, id="a-learning-rate-given-to-the-constructor"),
])
def test_a_correct_layer_in_a_published_convention_passes(tmp_path, source, names):
    layers = _check(tmp_path, source)
    assert set(layers) == names
    for layer in layers.values():
        assert layer["verdict"] in ("pass", "warn"), layer
        assert layer["bug_codes"] == []


@pytest.mark.parametrize("source, bug, name, code", [
    pytest.param(LEARNER, ("        input_gradient = output_gradient @ self.weights\n", ""), "Dense",
                 "stale-parameters", id="input-gradient-after-the-update"),
    pytest.param(LEARNER, ("weights_gradient = output_gradient.T @ self.input",
                           "weights_gradient = 2 * output_gradient.T @ self.input"), "Dense", "scaled",
                 id="weights-gradient-doubled"),
    pytest.param(SECOND_VOLUME, ("self.grads[0][...] = np.dot(self.x.T, dout)",
                                  "self.grads[0][...] = 0.5 * np.dot(self.x.T, dout)"),
                 "Affine", "scaled", id="list-weights-gradient-halved"),
    pytest.param(CONSTRUCTOR_LR, ("self.b -= self.lr * dout.sum(axis=0)", "self.b -= self.lr * dout.mean(axis=0)"),
                 "FC", "extra-batch-mean", id="constructor-lr-bias-averaged"),
])
def test_its_one_bug_twin_fails_with_the_code_of_that_bug(tmp_path, source, bug, name, code):
    old, new = bug
    buggy = source.replace(old, new)
    if name == "Dense" and code == "stale-parameters":  # compute the input gradient after the update
        buggy = buggy.replace("        return input_gradient\n", "        return output_gradient @ self.weights\n", 1)
    assert buggy != source
    layer = _check(tmp_path, buggy)[name]
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"][0] == code, layer["bug_codes"]


DEEPLEARNING_AI = '''
import numpy as np


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
'''


def test_deeplearning_ais_linear_backward_is_judged_in_its_own_mean_convention(tmp_path):
    # samples as columns, W (out, in), dW and db the means over the m samples: that course's convention
    layer = _check(tmp_path, DEEPLEARNING_AI)["linear"]
    assert layer["verdict"] == "pass", layer


def test_a_linear_backward_that_forgets_the_1_over_m_is_a_missing_batch_mean(tmp_path):
    layer = _check(tmp_path, DEEPLEARNING_AI.replace("dW = np.dot(dZ, A_prev.T) / m", "dW = np.dot(dZ, A_prev.T)"))
    assert layer["linear"]["bug_codes"][0] == "missing-batch-mean"
