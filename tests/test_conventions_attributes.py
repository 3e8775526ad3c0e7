"""Layers that return nothing and leave their results in attributes, named with the words learners wrap them in.

The "Neural Networks from Scratch" book (nnfs) and the many learners' nets that follow it write
`Layer_Dense(n_inputs, n_neurons)` and `Activation_ReLU`: `forward(inputs, training)` stores `self.output`
and returns None, `backward(dvalues)` stores `self.dinputs`, `self.dweights`, `self.dbiases`. Other learners
write `ReluLayer` or `MaxPoolingLayer`. The files below are written in those conventions (our own code): a
correct layer passes, its one-bug twin fails with the bug's code, and a name that only looks like a kind
behind its wrapping word (`Activation_Linear`, the identity) is not taken for one.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gradlab.cli.main import main
from gradlab.conventions.class_results import attributes_before, left_in_attribute
from gradlab.kinds import kind_for_class

NNFS_STYLE = '''
import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons, weight_regularizer_l2=0):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))
        self.weight_regularizer_l2 = weight_regularizer_l2

    def forward(self, inputs, training):
        self.inputs = inputs
        self.output = inputs @ self.weights + self.biases

    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        if self.weight_regularizer_l2 > 0:
            self.dweights += 2 * self.weight_regularizer_l2 * self.weights
        self.dinputs = dvalues @ self.weights.T


class Activation_Tanh:
    def forward(self, inputs, training):
        self.output = np.tanh(inputs)

    def backward(self, dvalues):
        self.dinputs = dvalues * (1.0 - self.output ** 2)


class Activation_Linear:
    def forward(self, inputs, training):
        self.output = inputs

    def backward(self, dvalues):
        self.dinputs = dvalues.copy()
'''

WRAPPED_NAMES = '''
import numpy as np


class SigmoidLayer:
    def forward(self, x):
        self.y = 1.0 / (1.0 + np.exp(-x))
        return self.y

    def backward(self, dout):
        return dout * self.y * (1.0 - self.y)
'''

TEMPLATE = '''
import numpy as np


class Layer_Dense:
    def __init__(self, n_inputs, n_neurons):
        self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
        self.biases = np.zeros((1, n_neurons))

    def forward(self, inputs, training):
        pass

    def backward(self, dvalues):
        pass
'''


def _check(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "layers.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "10", "--no-fix-search"])
    return json.loads(out.read_text())


def _layers(result: dict) -> dict[str, dict]:
    return {layer["name"]: layer for layer in result["layers"]}


def test_a_layer_that_leaves_its_output_and_dinputs_in_attributes_is_read_there_and_passes(tmp_path):
    layers = _layers(_check(tmp_path, NNFS_STYLE))
    assert {"Layer_Dense", "Activation_Tanh"} <= set(layers)
    for name in ("Layer_Dense", "Activation_Tanh"):
        assert layers[name]["verdict"] in ("pass", "warn"), layers[name]
        assert layers[name]["bug_codes"] == []
    assert set(layers["Layer_Dense"]["gradients"]) == {"dx", "dweights", "dbiases"}


def test_the_identity_behind_activation_is_not_taken_for_an_affine_layer(tmp_path):
    result = _check(tmp_path, NNFS_STYLE)
    assert "Activation_Linear" not in _layers(result)
    assert any(s["name"] == "Activation_Linear" for s in result["skipped"])
    assert kind_for_class("Activation_Linear") is None
    assert kind_for_class("Layer_Linear").name == "affine"


@pytest.mark.parametrize("old, new, name, code", [
    pytest.param("self.dweights = self.inputs.T @ dvalues", "self.dweights = self.inputs.T @ dvalues / len(dvalues)",
                 "Layer_Dense", "extra-batch-mean", id="dweights-divided-by-the-batch"),
    pytest.param("self.dinputs = dvalues @ self.weights.T", "self.dinputs = -(dvalues @ self.weights.T)",
                 "Layer_Dense", "sign-flip", id="dinputs-negated"),
    pytest.param("self.dinputs = dvalues * (1.0 - self.output ** 2)",
                 "self.dinputs = 2 * dvalues * (1.0 - self.output ** 2)", "Activation_Tanh", "scaled",
                 id="tanh-derivative-doubled"),
])
def test_its_one_bug_twin_fails_with_the_code_of_that_bug(tmp_path, old, new, name, code):
    buggy = NNFS_STYLE.replace(old, new)
    assert buggy != NNFS_STYLE
    layer = _layers(_check(tmp_path, buggy))[name]
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"][0] == code, layer["bug_codes"]


def test_an_attribute_left_from_an_earlier_call_is_not_taken_for_this_calls_result():
    class Half:
        pass

    layer = Half()
    layer.dinputs = np.ones(3)
    before = attributes_before(layer, ("dinputs",))
    assert left_in_attribute(layer, before) is None  # the call stored nothing
    layer.dinputs = np.zeros(3)
    assert left_in_attribute(layer, before) is layer.dinputs


def test_a_layer_named_with_a_layer_suffix_is_recognised_and_its_bug_caught(tmp_path):
    assert _layers(_check(tmp_path, WRAPPED_NAMES))["SigmoidLayer"]["verdict"] == "pass"
    buggy = WRAPPED_NAMES.replace("return dout * self.y * (1.0 - self.y)", "return dout * self.y")
    assert _layers(_check(tmp_path, buggy))["SigmoidLayer"]["verdict"] == "fail"


def test_a_template_whose_forward_stores_nothing_is_still_not_implemented(tmp_path):
    result = _check(tmp_path, TEMPLATE)
    assert _layers(result) == {} or _layers(result)["Layer_Dense"]["verdict"] != "pass"
    reasons = [s["reason"] for s in result["skipped"] if s["name"] == "Layer_Dense"]
    assert reasons and "not implemented yet" in reasons[0], result


FORWARD_WITH_SLOPE = '''
import numpy as np


class ELU:
    def forward(self, x, alpha):
        self.alpha = alpha
        self.x = x
        return np.where(x > 0, x, alpha * (np.exp(x) - 1.0))

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, self.alpha * np.exp(self.x))


class LeakyReLULayer:
    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, 0.1 * x)

    def backward(self, dout):
        return dout * np.where(self.x > 0, 1.0, 0.1)
'''


def test_a_forward_that_requires_an_argument_gradlab_cannot_give_is_set_aside_not_failed(tmp_path):
    result = _check(tmp_path, FORWARD_WITH_SLOPE)
    assert "ELU" not in _layers(result)
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "ELU"]
    assert "ELU.forward also requires alpha" in reason and "default value" in reason


def test_with_a_default_slope_the_same_elu_is_checked_and_its_bug_caught(tmp_path):
    with_default = FORWARD_WITH_SLOPE.replace("def forward(self, x, alpha):", "def forward(self, x, alpha=1.0):")
    assert _layers(_check(tmp_path, with_default))["ELU"]["verdict"] == "pass"
    buggy = with_default.replace("self.alpha * np.exp(self.x)", "np.exp(self.x)").replace("alpha=1.0", "alpha=0.5")
    assert _layers(_check(tmp_path, buggy))["ELU"]["verdict"] == "fail"


def test_a_leaky_relu_named_with_a_layer_suffix_passes_and_a_wrong_slope_in_backward_is_caught(tmp_path):
    assert _layers(_check(tmp_path, FORWARD_WITH_SLOPE))["LeakyReLULayer"]["verdict"] == "pass"
    buggy = FORWARD_WITH_SLOPE.replace("np.where(self.x > 0, 1.0, 0.1)", "np.where(self.x > 0, 1.0, 0.01)")
    assert _layers(_check(tmp_path, buggy))["LeakyReLULayer"]["verdict"] == "fail"


DROPOUT_BY_RATE = '''
import numpy as np


class Layer_Dropout:
    def __init__(self, dropout_rate):
        self.keep = 1 - dropout_rate

    def forward(self, inputs):
        self.mask = np.random.binomial(1, self.keep, inputs.shape) / self.keep
        self.output = inputs * self.mask

    def backward(self, dvalues):
        self.dinputs = dvalues * self.mask


class Layer_Conv2D:
    def __init__(self, n_filters, kernel_size):
        self.kernel_size = kernel_size

    def forward(self, inputs):
        return inputs

    def backward(self, dvalues):
        return dvalues
'''


def test_a_dropout_built_with_its_dropout_rate_is_checked_and_a_missing_rescale_caught(tmp_path):
    assert _layers(_check(tmp_path, DROPOUT_BY_RATE))["Layer_Dropout"]["verdict"] == "pass"
    buggy = DROPOUT_BY_RATE.replace("self.dinputs = dvalues * self.mask", "self.dinputs = dvalues * (self.mask > 0)")
    assert _layers(_check(tmp_path, buggy))["Layer_Dropout"]["verdict"] == "fail"


def test_a_conv_built_from_its_sizes_that_keeps_no_array_is_set_aside_instead_of_failed(tmp_path):
    """Layer_Conv2D(n_filters, kernel_size) is built from the case's sizes (class_construction), but this stub keeps
    no weights at all: it is not a conv layer yet, and is set aside with why, not failed as crashed."""
    result = _check(tmp_path, DROPOUT_BY_RATE)
    assert "Layer_Conv2D" not in _layers(result)
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "Layer_Conv2D"]
    assert "takes and keeps no array" in reason


LOSSES = '''
import numpy as np


class Loss:
    def calculate(self, output, y):
        return np.mean(self.forward(output, y))


class Loss_MeanSquaredError(Loss):
    def forward(self, y_pred, y_true):
        return np.mean((y_true - y_pred) ** 2, axis=-1)

    def backward(self, dvalues, y_true):
        samples, outputs = len(dvalues), len(dvalues[0])
        self.dinputs = -2 * (y_true - dvalues) / outputs / samples


class MeanSquaredErrorLoss:
    def forward(self, y_true, y_pred):
        return np.mean((y_pred - y_true) ** 2)

    def backward(self, y_true, y_pred):
        return 2 * (y_pred - y_true) / y_true.size
'''


def test_a_loss_returning_one_loss_per_sample_with_backward_of_the_predictions_passes(tmp_path):
    layers = _layers(_check(tmp_path, LOSSES))
    assert layers["Loss_MeanSquaredError"]["verdict"] == "pass", layers["Loss_MeanSquaredError"]
    buggy = LOSSES.replace("/ outputs / samples", "/ samples")
    assert _layers(_check(tmp_path, buggy))["Loss_MeanSquaredError"]["bug_codes"][0] == "scaled"


def test_a_loss_that_takes_its_labels_first_is_called_in_that_order(tmp_path):
    assert _layers(_check(tmp_path, LOSSES))["MeanSquaredErrorLoss"]["verdict"] == "pass"
    swapped = LOSSES.replace("return 2 * (y_pred - y_true) / y_true.size", "return 2 * (y_true - y_pred) / y_true.size")
    assert _layers(_check(tmp_path, swapped))["MeanSquaredErrorLoss"]["bug_codes"][0] == "sign-flip"


def test_behind_the_word_loss_only_a_loss_kind_is_read():
    assert kind_for_class("Loss_MeanSquaredError").name == "mse_loss"
    assert kind_for_class("MeanSquaredErrorLoss").name == "mse_loss"
    assert kind_for_class("SigmoidLoss") is None  # not the sigmoid activation
