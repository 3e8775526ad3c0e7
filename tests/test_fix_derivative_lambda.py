"""A derivative handed to a base class as a lambda (`super().__init__(np.tanh, lambda x: 1 - x ** 2)`) is fixed in the
lambda, not by baking the function into the base's backward that every activation shares (fixture
tests/realcode19/activation_base.py)."""

from __future__ import annotations

from pathlib import Path

from checked_source import checked

SOURCE = (Path(__file__).parent / "realcode19" / "activation_base.py").read_text(encoding="utf-8")


def test_the_tanh_derivative_written_for_the_output_is_fixed_in_its_lambda(tmp_path):
    right = "lambda x: 1 - np.tanh(x) ** 2"
    assert SOURCE.count(right) == 1
    [layer] = checked(tmp_path, SOURCE.replace(right, "lambda x: 1 - x ** 2"), "--only", "Tanh").values()
    assert layer["bug_codes"][:1] == ["wrong-input"], layer["bug_codes"]
    assert layer["fix"]["status"] == "verified", layer["fix"]
    assert f"+        super().__init__(np.tanh, {right})" in layer["fix"]["diff"], layer["fix"]["diff"]
