"""CMU 11-785's activations (HW1P1, 2022): `forward(Z)` keeps `self.A`, `backward()` takes nothing and returns
dA/dZ, which the MLP multiplies by dLdA itself. gradlab checks such a backward as what it is, `dout * backward()`,
with a warning saying so; a slip in the derivative still fails, and an empty template is not implemented yet.
They once all failed as crashed ("backward() takes 1 positional argument but 2 were given").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

ACTIVATIONS = '''import numpy as np


class Identity:
    def forward(self, Z):
        self.A = Z
        return self.A

    def backward(self):
        return np.ones(self.A.shape, dtype="f")


class Sigmoid:
    def forward(self, Z):
        self.A = 1 / (1 + np.exp(-Z))
        return self.A

    def backward(self):
        return self.A - self.A * self.A


class Tanh:
    def forward(self, Z):
        self.A = np.tanh(Z)
        return self.A

    def backward(self):
        return 1 - self.A * self.A


class ReLU:
    def forward(self, Z):
        self.A = np.maximum(0, Z)
        return self.A

    def backward(self):
        return np.where(self.A > 0, 1.0, 0.0)
'''


def _check(tmp_path: Path, source: str) -> dict[str, dict]:
    path = tmp_path / "activation.py"
    path.write_text(source, encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(path), "--examples", "12", "--no-fix-search", "--json", str(out)])
    return {e["name"]: e for e in json.loads(out.read_text(encoding="utf-8"))["layers"]}


def test_activations_whose_backward_takes_nothing_are_checked_as_dout_times_their_derivative(tmp_path: Path):
    layers = _check(tmp_path, ACTIVATIONS)
    assert {name: e["verdict"] for name, e in layers.items()} == dict.fromkeys(("Identity", "Sigmoid", "Tanh", "ReLU"),
                                                                               "warn")
    assert all("takes nothing and returns the local derivative" in e["warnings"][0]["message"] for e in layers.values())


@pytest.mark.parametrize(("slip", "layer"), [("self.A - self.A * self.A", "self.A + self.A * self.A"),
                                             ("1 - self.A * self.A", "1 - self.A")])
def test_a_slip_in_a_derivative_returned_by_a_backward_taking_nothing_still_fails(tmp_path: Path, slip, layer):
    layers = _check(tmp_path, ACTIVATIONS.replace(slip, layer))
    failed = [name for name, e in layers.items() if e["verdict"] == "fail"]
    assert len(failed) == 1 and layers[failed[0]]["bug_codes"][0] != "crashed"


def test_an_empty_backward_taking_nothing_is_not_implemented_yet(tmp_path: Path, capsys):
    _check(tmp_path, ACTIVATIONS.replace("        return 1 - self.A * self.A\n", "        pass\n"))
    out = capsys.readouterr().out
    assert "SKIP Tanh: not implemented yet" in out and "FAIL" not in out


MSE = '''import numpy as np


class MSELoss:
    def forward(self, A, Y):
        self.A = A
        self.Y = Y
        N, C = A.shape
        return np.sum((A - Y) * (A - Y)) / (N * C)

    def backward(self):
        N, C = self.A.shape
        return 2 * (self.A - self.Y) / (N * C)
'''


def test_a_loss_written_for_two_axes_is_checked_on_the_cases_of_two_axes_and_told_so(tmp_path: Path):
    (loss,) = _check(tmp_path, MSE).values()
    assert loss["verdict"] == "warn"
    assert "it unpacks a shape of another number of axes" in loss["warnings"][0]["message"]


def test_a_slip_in_a_loss_written_for_two_axes_still_fails(tmp_path: Path):
    (loss,) = _check(tmp_path, MSE.replace("return 2 * (self.A", "return (self.A")).values()
    assert loss["verdict"] == "fail" and loss["bug_codes"][0] == "scaled"
