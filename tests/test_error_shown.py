"""The error shown per gradient (DECISIONS, "Precision and the error shown"): ||a - n|| / (||a|| + ||n||)
over the whole array, next to the worst element's; correct float64 layers show < 1e-6."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.discover import entry_for
from gradlab.core.compare import norm_error
from gradlab.core.messages import explain
from gradlab.core.results import FAIL, PASS


class Tanh:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out ** 2)


def scaled_tanh(factor):
    class ScaledTanh(Tanh):
        def backward(self, dout):
            return factor * super().backward(dout)

    return ScaledTanh


def test_the_whole_array_error_is_zero_for_equal_arrays_one_for_opposite_ones_and_scale_free():
    a = np.random.default_rng(0).standard_normal((3, 4))
    assert norm_error(a, a) == 0.0
    assert norm_error(a, -a) == pytest.approx(1.0)
    assert norm_error(1.01 * a, a) == pytest.approx(0.01 / 2.01)
    assert norm_error(1e-30 * 1.01 * a, 1e-30 * a) == pytest.approx(0.01 / 2.01)
    assert norm_error(np.zeros(3), np.zeros(3)) == 0.0
    assert norm_error(np.array([np.inf]), np.array([1.0])) == float("inf")


@pytest.mark.parametrize("seed", range(3))
def test_a_correct_float64_layer_shows_a_whole_array_error_below_1e_6(seed):
    report = check_entry(entry_for(Tanh, kind="tanh"), examples=20, seed=seed)
    assert report.verdict == PASS
    assert 0.0 <= report.worst["dx"].rel_error < 1e-6
    assert report.worst["dx"].precision == "float64"


def test_a_backward_one_percent_too_large_shows_the_whole_array_error_of_that_factor():
    report = check_entry(entry_for(scaled_tanh(1.01), kind="tanh"), examples=20, seed=0)
    assert report.verdict == FAIL and report.failing is not None
    dx = next(g for g in report.failing.gradients if g.name == "dx")
    assert dx.rel_error == pytest.approx(0.01 / 2.01, rel=1e-3)
    assert "relative error of dx as a whole, ||a - n|| / (||a|| + ||n||): 0.005" in explain(report)


def test_the_passing_line_shows_the_whole_array_error_then_the_worst_element(capsys, tmp_path):
    path = tmp_path / "tanh_layer.py"
    path.write_text("import numpy as np\n\n\nclass Tanh:\n    def forward(self, x):\n        self.out = np.tanh(x)\n"
                    "        return self.out\n\n    def backward(self, dout):\n"
                    "        return dout * (1 - self.out ** 2)\n")
    out = tmp_path / "out.json"
    assert main(["check", str(path), "--examples", "5", "--json", str(out)]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("PASS Tanh") and "relative error dx " in line and "(worst element: dx " in line
    gradient = json.loads(out.read_text())["layers"][0]["gradients"]["dx"]
    assert 0.0 <= gradient["rel_error"] < 1e-6 and gradient["max_rel_error"] >= gradient["rel_error"] / 10


def test_a_gradient_that_is_truly_zero_shows_no_error_where_both_sides_are_rounding_noise():
    from gradlab.conventions.registry import load_reference

    report = check_entry(load_reference()["affine_bn_relu"], examples=10, seed=0)
    assert report.verdict == PASS
    assert report.worst["db"].rel_error == 0.0  # batch norm removes the bias: its true gradient is 0
    assert report.worst["dx"].rel_error < 1e-6
