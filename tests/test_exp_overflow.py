"""An activation must stay finite where its input is large (DESIGN.md: as a softmax without its row maximum
subtracted fails non-finite on logits near 1000). Activations written with exp of their input are also run on
inputs of both signs beyond 709, where exp overflows, and a softmax on logits near 1000: finiteness only. The
stable forms every course teaches pass; the forms that overflow fail non-finite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

STABLE = {
    "sigmoid": ("1.0 / (1.0 + np.exp(-x))", "dout * out * (1.0 - out)"),
    "tanh": ("np.tanh(x)", "dout * (1.0 - out ** 2)"),
    "softplus": ("np.logaddexp(0.0, x)", "dout / (1.0 + np.exp(-x))"),
    "swish": ("x / (1.0 + np.exp(-x))", "dout * (out + (1.0 - out) / (1.0 + np.exp(-x)))"),
}
OVERFLOWING = {
    "sigmoid": ("np.exp(x) / (1.0 + np.exp(x))", "dout * out * (1.0 - out)"),
    "tanh": ("(np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))", "dout * (1.0 - out ** 2)"),
    "softplus": ("np.log(1.0 + np.exp(x))", "dout / (1.0 + np.exp(-x))"),
}

TEMPLATE = '''
import numpy as np


def {name}_forward(x):
    out = {forward}
    return out, (x, out)


def {name}_backward(dout, cache):
    x, out = cache
    return {backward}
'''

SOFTMAX = '''
import numpy as np


class Softmax:
    def forward(self, x):
        e = np.exp(x{shift})
        self.out = e / e.sum(axis=1, keepdims=True)
        return self.out

    def backward(self, dout):
        s = self.out
        return s * (dout - (dout * s).sum(axis=1, keepdims=True))
'''


def _verdict(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "act.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "10", "--no-fix-search"])
    (layer,) = json.loads(out.read_text())["layers"]
    return layer


@pytest.mark.parametrize("name", sorted(STABLE))
def test_an_activation_in_its_stable_form_passes_on_inputs_beyond_exps_overflow(tmp_path, name):
    forward, backward = STABLE[name]
    layer = _verdict(tmp_path, TEMPLATE.format(name=name, forward=forward, backward=backward))
    assert layer["verdict"] == "pass", layer


@pytest.mark.parametrize("name", sorted(OVERFLOWING))
def test_an_activation_written_with_an_overflowing_exp_fails_non_finite(tmp_path, name):
    forward, backward = OVERFLOWING[name]
    layer = _verdict(tmp_path, TEMPLATE.format(name=name, forward=forward, backward=backward))
    assert layer["verdict"] == "fail" and layer["bug_codes"][:1] == ["non-finite"], layer


def test_a_softmax_activation_subtracting_its_row_maximum_passes(tmp_path):
    layer = _verdict(tmp_path, SOFTMAX.format(shift=" - x.max(axis=1, keepdims=True)"))
    assert layer["verdict"] == "pass", layer


def test_a_softmax_activation_without_its_row_maximum_subtracted_fails_non_finite(tmp_path):
    layer = _verdict(tmp_path, SOFTMAX.format(shift=""))
    assert layer["verdict"] == "fail" and layer["bug_codes"][:1] == ["non-finite"], layer


# one sample as a column (s of shape (C, 1)), as the from-scratch videos write it
COLUMN_SOFTMAX = '''
import numpy as np


class Softmax:
    def forward(self, z):
        e = np.exp(z{shift})
        self.s = e / e.sum()
        return self.s

    def backward(self, g):
        jacobian = np.diagflat(self.s) - self.s @ self.s.T
        return jacobian @ g
'''


def test_a_softmax_written_for_one_column_is_found_in_its_layout_and_passes_when_it_subtracts_the_maximum(tmp_path):
    layer = _verdict(tmp_path, COLUMN_SOFTMAX.format(shift=" - z.max()"))
    assert layer["verdict"] == "pass" and "columns" in (layer.get("detected_layout") or ""), layer


def test_the_same_softmax_without_the_maximum_is_non_finite_in_its_layout_not_crashed(tmp_path):
    layer = _verdict(tmp_path, COLUMN_SOFTMAX.format(shift=""))
    assert layer["bug_codes"] == ["non-finite"] and "columns" in (layer.get("detected_layout") or ""), layer
