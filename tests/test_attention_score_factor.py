"""An attention score's gradient multiplied by the wrong factor of the product hs · h (a factor's own value where the
other belongs) is `wrong-input`, named with the factor (kinds/attention_weight.py; fixture
tests/realcode19/attention_weight_class.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checked_source import checked

SOURCE = (Path(__file__).parent / "realcode19" / "attention_weight_class.py").read_text(encoding="utf-8")


def _check(tmp_path: Path, source: str) -> dict:
    return checked(tmp_path, source, "--no-fix-search", file="attention.py")["AttentionWeight"]


def test_the_right_attention_weight_passes(tmp_path):
    assert _check(tmp_path, SOURCE)["verdict"] == "pass"


@pytest.mark.parametrize(("old", "new", "words"), [
    ("dhs = dt * hr", "dhs = dt * hs", "dhs is ds · hs, the encoder states themselves, where ds · h belongs"),
    # dh = sum over T of ds · h is all zero (ds sums to 0 over T): the check's own measurement of the cache names it
    ("dhr = dt * hs", "dhr = dt * hr", "dh reads self.cache[1] where given['x'] belongs"),
], ids=["dhs-by-hs", "dh-by-h"])
def test_a_score_gradient_times_its_own_factor_is_wrong_input(tmp_path, old, new, words):
    assert SOURCE.count(old) == 1
    layer = _check(tmp_path, SOURCE.replace(old, new))
    assert layer["bug_codes"][:1] == ["wrong-input"], layer["bug_codes"]
    said = " ".join(g.get("diagnosis") or "" for g in layer["gradients"].values())
    assert words in said, said
