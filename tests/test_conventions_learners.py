"""Learners' layers gradlab cannot read a gradient from are set aside with the reason, not failed.

Two conventions of learners' numpy nets: an Adam step written inside `backward(grad, learning_rate)`
(what it takes from the weights is not learning rate × gradient, so no gradient can be read from it), and a
CNN layer that takes one image, `H, W, C = input.shape`, where gradlab gives a batch. Both were FAIL before;
the files below are our own, each with a twin gradlab can check, which passes or fails on its own bug.
"""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main

DENSE = '''
import numpy as np


class Dense:
    def __init__(self, input_size, output_size):
        self.weights = np.random.randn(output_size, input_size)
        self.bias = np.random.randn(output_size, 1)
        self.m, self.v, self.t = np.zeros_like(self.weights), np.zeros_like(self.weights), 0

    def forward(self, input):
        self.input = input
        return input @ self.weights.T + self.bias.T

    def backward(self, output_gradient, learning_rate):
        input_gradient = output_gradient @ self.weights
        weights_gradient = output_gradient.T @ self.input
        self.bias -= learning_rate * output_gradient.sum(axis=0, keepdims=True).T
        {update}
        return input_gradient
'''
ADAM = ("self.t += 1; self.m = 0.9 * self.m + 0.1 * weights_gradient; "
        "self.v = 0.999 * self.v + 0.001 * weights_gradient ** 2; "
        "self.weights -= learning_rate * (self.m / (1 - 0.9 ** self.t)) / "
        "(np.sqrt(self.v / (1 - 0.999 ** self.t)) + 1e-8)")
SGD = "self.weights -= learning_rate * weights_gradient"

ONE_IMAGE = '''
import numpy as np


class MaxPool:
    def forward(self, image):
        H, W, C = image.shape
        self.image = image
        return image.reshape(H // 2, 2, W // 2, 2, C).max(axis=(1, 3))

    def backward(self, dout):
        return np.repeat(np.repeat(dout, 2, axis=0), 2, axis=1)
'''


def _check(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "layers.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "10", "--no-fix-search"])
    return json.loads(out.read_text())


def _reason(result: dict, name: str) -> str:
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == name]
    return reason


def test_an_adam_step_inside_backward_is_set_aside_as_unreadable(tmp_path):
    result = _check(tmp_path, DENSE.format(update=ADAM))
    assert result["layers"] == []
    assert "adaptive step" in _reason(result, "Dense")


def test_the_same_dense_with_a_plain_step_is_checked_and_its_bug_caught(tmp_path):
    (layer,) = _check(tmp_path, DENSE.format(update=SGD))["layers"]
    assert layer["verdict"] in ("pass", "warn") and layer["bug_codes"] == []
    buggy = DENSE.format(update=SGD.replace("learning_rate *", "2 * learning_rate *"))
    (layer,) = _check(tmp_path, buggy)["layers"]
    assert layer["verdict"] == "fail" and layer["bug_codes"] == ["scaled"]


def test_a_layer_that_takes_one_image_is_set_aside_with_the_line_that_says_so(tmp_path):
    result = _check(tmp_path, ONE_IMAGE)
    assert result["layers"] == []
    reason = _reason(result, "MaxPool")
    assert "another number of axes" in reason and "H, W, C = image.shape" in reason


def test_unpacking_something_other_than_a_shape_stays_a_crash(tmp_path):
    unpacks_a_list = ONE_IMAGE.replace("H, W, C = image.shape", "H, W, C = [2, 2]")
    (layer,) = _check(tmp_path, unpacks_a_list)["layers"]
    assert layer["verdict"] == "fail" and "crashed" in layer["bug_codes"]


POOL_WITH_PAIRS = '''
import numpy as np


class AvgPool2D:
    def __init__(self, kernel_size=(2, 2), stride=(2, 2)):
        self.kh, self.kw = kernel_size
        self.sh, self.sw = stride

    def forward(self, x):
        N, C, H, W = x.shape
        self.shape = x.shape
        out_h, out_w = (H - self.kh) // self.sh + 1, (W - self.kw) // self.sw + 1
        out = np.zeros((N, C, out_h, out_w))
        for i in range(out_h):
            for j in range(out_w):
                window = x[:, :, i * self.sh:i * self.sh + self.kh, j * self.sw:j * self.sw + self.kw]
                out[:, :, i, j] = window.mean(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros(self.shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, i * self.sh:i * self.sh + self.kh, j * self.sw:j * self.sw + self.kw] += \\
                    dout[:, :, i:i + 1, j:j + 1] / (self.kh * self.kw)
        return dx
'''


def test_a_pool_whose_constructor_takes_pairs_is_given_pairs_and_checked(tmp_path):
    (layer,) = _check(tmp_path, POOL_WITH_PAIRS)["layers"]
    assert layer["verdict"] == "pass", layer
    buggy = POOL_WITH_PAIRS.replace("/ (self.kh * self.kw)", "/ self.kh")
    (layer,) = _check(tmp_path, buggy)["layers"]
    assert layer["verdict"] == "fail"


def test_a_layer_transposing_one_image_is_set_aside_as_another_layout(tmp_path):
    one_image = ONE_IMAGE.replace("H, W, C = image.shape", "H, W, C = image.transpose(2, 0, 1).shape[::-1]")
    result = _check(tmp_path, one_image)
    assert result["layers"] == []
    assert "another number of axes" in _reason(result, "MaxPool")


def test_a_stride_without_a_default_pair_that_is_unpacked_as_one_is_given_a_pair(tmp_path):
    stride_none = POOL_WITH_PAIRS.replace("stride=(2, 2)):", "stride=None):").replace(
        "self.sh, self.sw = stride", "self.sh, self.sw = stride if stride is not None else kernel_size")
    assert stride_none != POOL_WITH_PAIRS
    (layer,) = _check(tmp_path, stride_none)["layers"]
    assert layer["verdict"] == "pass", layer
