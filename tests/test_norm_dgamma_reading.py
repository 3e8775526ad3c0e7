"""dγ of a normalisation computed from another array of the forward where x̂ belongs is `wrong-input`, named with
the array (kinds/normalising.py); and a factor read on a gradient of one element (γ of one channel) is no evidence:
a case where it holds more is asked (cases/more_precise.py). Fixture: tests/realcode19/instance_norm_class.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from checked_source import checked

SOURCE = (Path(__file__).parent / "realcode19" / "instance_norm_class.py").read_text(encoding="utf-8")
RIGHT = "self.dgamma = np.sum(dout * self.x_hat, axis=(0, 2, 3))"


def _check(tmp_path: Path, wrote: str) -> dict:
    assert SOURCE.count(RIGHT) == 1
    [layer] = checked(tmp_path, SOURCE.replace(RIGHT, wrote), "--examples", "10", "--no-fix-search",
                      file="norms.py").values()
    return layer


def test_the_right_instance_norm_passes(tmp_path):
    assert _check(tmp_path, RIGHT)["verdict"] == "pass"


@pytest.mark.parametrize(("array", "words"), [("self.inv_std", "dout · 1/σ"), ("self.xc", "dout · (x − mean)")],
                         ids=["inverse-std", "centred"])
def test_dgamma_from_another_cached_array_is_wrong_input_naming_it(tmp_path, array, words):
    layer = _check(tmp_path, f"self.dgamma = np.sum(dout * {array}, axis=(0, 2, 3))")
    assert layer["bug_codes"][:1] == ["wrong-input"], layer["bug_codes"]
    assert f"dγ sums {words} where dout · x̂ belongs" in layer["gradients"]["dgamma"]["diagnosis"]


def test_a_dgamma_wrong_in_no_pattern_is_not_called_a_factor_read_on_one_channel(tmp_path):
    # the smallest failing case has one channel: dγ is one number there, some factor of the true one
    layer = _check(tmp_path, "self.dgamma = np.sum(dout * self.x_hat ** 2, axis=(0, 2, 3))")
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"] == ["mismatch"], layer["bug_codes"]
