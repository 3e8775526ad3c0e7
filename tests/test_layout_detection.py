"""Samples as columns, found out rather than told (issue 10): a 2-D layer that crashes on samples as rows
and runs on samples as columns is checked as columns, and says so; a wrong value is never retried."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.discover import entry_for
from gradlab.core.results import FAIL, PASS


class Dense:
    """Z = W @ X + b with X (features, N), W (out, in), b (out, 1): Andrew Ng's and Nielsen's layout."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, X):
        self.X = X
        return self.W @ X + self.b

    def backward(self, dZ):
        self.dW = dZ @ self.X.T
        self.db = dZ.sum(axis=1, keepdims=True)
        return self.W.T @ dZ


class DenseMissingTranspose(Dense):
    def backward(self, dZ):
        dX = super().backward(dZ)
        self.dW = self.X @ dZ.T  # the transpose of the right dW
        return dX


class Affine:
    """Samples as rows, with a backward that crashes: dout @ W where W.T belongs."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W


def test_a_correct_layer_with_samples_as_columns_passes_and_says_the_layout_was_detected():
    report = check_entry(entry_for(Dense, kind="affine"), examples=15, seed=0)
    assert report.verdict == PASS, report.bug_codes
    assert report.detected_layout == "columns, W (out, in)"
    assert report.to_dict()["detected_layout"] == "columns, W (out, in)"


def test_a_column_layer_s_bug_is_named_in_the_column_layout_with_its_hint():
    report = check_entry(entry_for(DenseMissingTranspose, kind="affine"), examples=15, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["transposed"]
    assert report.detected_layout == "columns, W (out, in)"


def test_a_rows_layer_whose_backward_crashes_keeps_its_crash_and_is_not_called_a_column_layer():
    report = check_entry(entry_for(Affine, kind="affine"), examples=15, seed=0)
    # where its sizes fit by accident its dx is judged too (gradlab.cases.where_it_fits): the crash stays
    assert report.verdict == FAIL and report.bug_codes[-1] == "crashed"
    assert report.detected_layout is None


def test_a_rows_layer_is_never_retried_as_columns():
    class Sigmoid:
        def forward(self, x):
            self.out = 1 / (1 + np.exp(-x))
            return self.out

        def backward(self, dout):
            return 1.5 * dout * self.out * (1 - self.out)

    report = check_entry(entry_for(Sigmoid, kind="sigmoid"), examples=15, seed=0)
    assert report.bug_codes == ["scaled"] and report.detected_layout is None


def test_the_command_line_names_the_detected_layout_in_text_and_json(tmp_path, capsys):
    path = tmp_path / "net_layers.py"
    path.write_text("import numpy as np\n\n\nclass Dense:\n    def __init__(self, W, b):\n        self.W, self.b = W, b\n\n"
                    "    def forward(self, X):\n        self.X = X\n        return np.dot(self.W, X) + self.b\n\n"
                    "    def backward(self, dZ):\n        self.dW = np.dot(dZ, self.X.T)\n"
                    "        self.db = np.sum(dZ, axis=1, keepdims=True)\n        return np.dot(self.W.T, dZ)\n")
    out = tmp_path / "out.json"
    assert main(["check", str(path), "--examples", "10", "--json", str(out)]) == 0
    assert "detected: samples as columns, W (out, in)" in capsys.readouterr().out
    assert json.loads(out.read_text())["layers"][0]["detected_layout"] == "columns, W (out, in)"


class DenseOneSample:
    """One sample at a time, a column: x (in, 1), W (out, in), b (out, 1), updated in backward with the
    learning rate, as the popular from-scratch networks that loop over samples write it."""

    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size)
        self.bias = np.random.randn(output_size, 1)

    def forward(self, input):
        self.input = input
        return np.dot(self.weights, self.input) + self.bias

    def backward(self, output_gradient, learning_rate):
        weights_gradient = np.dot(output_gradient, self.input.T)
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * weights_gradient
        self.bias -= learning_rate * output_gradient
        return input_gradient


class DenseOneSampleForgetsTranspose(DenseOneSample):
    def backward(self, output_gradient, learning_rate):
        input_gradient = np.dot(self.weights.T, output_gradient)
        self.weights -= learning_rate * np.dot(output_gradient, self.input.T)
        self.bias -= 2 * learning_rate * output_gradient  # twice the bias gradient
        return input_gradient


def test_a_layer_written_for_one_sample_at_a_time_is_checked_on_single_columns_and_passes():
    report = check_entry(entry_for(DenseOneSample, kind="affine"), examples=15, seed=0)
    assert report.verdict == PASS, report.bug_codes
    assert report.detected_layout == "columns, one sample at a time, W (out, in)"
    assert report.failing is None


def test_a_one_sample_layer_s_bug_is_still_caught_and_named():
    report = check_entry(entry_for(DenseOneSampleForgetsTranspose, kind="affine"), examples=15, seed=0)
    assert report.verdict == FAIL and report.bug_codes == ["scaled"]
    assert report.detected_layout == "columns, one sample at a time, W (out, in)"


def test_the_pytest_api_finds_the_column_layout_too_and_keeps_rows_when_told():
    from gradlab import GradientCheckError, assert_backward

    report = assert_backward(Dense, kind="affine", examples=10, seed=0)
    assert report.detected_layout == "columns, W (out, in)"
    with pytest.raises(GradientCheckError, match="crashed"):
        assert_backward(Dense, kind="affine", examples=10, seed=0, layout="rows")
