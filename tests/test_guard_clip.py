"""A forward that clips its output to a constant as a guard (np.clip(sigmoid(x), 1e-7, 1 - 1e-7), written so a
later log never sees 0) is flat where it clips, and a backward written for the unclipped function is off there
by the guard's epsilon times dout: that leftover is not a bug (compare.GUARD_LEFTOVER). A real slip where the
forward is flat, and a guard wide enough to change the gradient, still fail."""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main

CLIPPED_SIGMOID = '''
import numpy as np


class Sigmoid:
    def forward(self, x):
        self.out = np.clip(1.0 / (1.0 + np.exp(-x)), 1e-7, 1 - 1e-7)
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)
'''

# the same guard on a tanh, in CS231n's function style
CLIPPED_TANH = '''
import numpy as np


def tanh_forward(x):
    out = np.clip(np.tanh(x), -1 + 1e-7, 1 - 1e-7)
    return out, out


def tanh_backward(dout, cache):
    return dout * (1 - cache ** 2)
'''


def _layers(tmp_path: Path, source: str) -> list[dict]:
    path = tmp_path / "guarded.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "20", "--no-fix-search"])
    return json.loads(out.read_text())["layers"]


def test_a_sigmoid_clipped_as_a_guard_passes_and_shows_a_small_error(tmp_path):
    (layer,) = _layers(tmp_path, CLIPPED_SIGMOID)
    assert layer["verdict"] == "pass", layer
    assert all(g["rel_error"] < 1e-6 for g in layer["gradients"].values()), layer["gradients"]


def test_a_tanh_clipped_as_a_guard_in_function_style_passes(tmp_path):
    (layer,) = _layers(tmp_path, CLIPPED_TANH)
    assert layer["verdict"] == "pass", layer


def test_the_clipped_sigmoid_without_dout_still_fails(tmp_path):
    (layer,) = _layers(tmp_path, CLIPPED_SIGMOID.replace("return dout * self.out", "return self.out"))
    assert layer["verdict"] == "fail", layer


def test_a_guard_wide_enough_to_change_the_gradient_is_not_forgiven(tmp_path):
    (layer,) = _layers(tmp_path, CLIPPED_SIGMOID.replace("1e-7, 1 - 1e-7", "1e-3, 1 - 1e-3"))
    assert layer["verdict"] == "fail", layer


def test_a_relu6_without_its_cap_still_fails_where_its_forward_is_flat(tmp_path):
    relu6 = '''
import numpy as np


class ReLU6:
    def forward(self, x):
        self.x = x
        return np.clip(x, 0.0, 6.0)

    def backward(self, dout):
        return dout * (self.x > 0)
'''
    (layer,) = _layers(tmp_path, relu6)
    assert layer["verdict"] == "fail", layer
