"""An attention score's gradient multiplied by the wrong factor of the product hs · h (a factor's own value where the
other belongs) is `wrong-input`, named with the factor (kinds/attention_weight.py; fixture
tests/realcode19/attention_weight_class.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

SOURCE = (Path(__file__).parent / "realcode19" / "attention_weight_class.py").read_text(encoding="utf-8")


def _check(tmp_path: Path, source: str) -> dict:
    (tmp_path / "attention.py").write_text(source, encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(tmp_path / "attention.py"), "--examples", "8", "--no-fix-search", "--json", str(out)])
    return {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))["layers"]}["AttentionWeight"]


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
