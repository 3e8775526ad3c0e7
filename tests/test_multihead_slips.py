"""A from-scratch multi-head attention backward with one of its usual slips (an operand of the scores' products not
transposed, which runs with T x T scores; the softmax's coupling term or the 1/sqrt(d) left out) is named with the
slip and its code (kinds/multihead_attention.py; fixture tests/realcode19/multihead_functions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checked_source import checked

SOURCE = (Path(__file__).parent / "realcode19" / "multihead_functions.py").read_text(encoding="utf-8")


def _check(tmp_path: Path, source: str) -> dict:
    [layer] = checked(tmp_path, source, "--no-fix-search", file="mha.py").values()
    return layer


def test_the_right_multihead_attention_passes(tmp_path):
    assert _check(tmp_path, SOURCE)["verdict"] == "pass"


@pytest.mark.parametrize(("old", "new", "code", "words"), [
    ("dk = dscores.transpose(0, 1, 3, 2) @ q", "dk = dscores @ q", "transposed", "dk = dscores @ q"),
    ("dq = dscores @ k", "dq = dscores.transpose(0, 1, 3, 2) @ k", "transposed", "dq = dscores.T @ k"),
    ("dv = attn.transpose(0, 1, 3, 2) @ dctx", "dv = attn @ dctx", "transposed", "dv = weights @ dcontext"),
    ("dscores = attn * (dattn - np.sum(dattn * attn, axis=-1, keepdims=True))", "dscores = attn * dattn",
     "dropped-term", "dscores = weights * dweights"),
    ("dscores = dscores / np.sqrt(d)", "dscores = dscores", "scaled", "without the 1/sqrt(d) of the scores"),
], ids=["dk", "dq", "dv", "coupling", "scale"])
def test_a_slip_in_the_backward_is_named_with_what_was_written(tmp_path, old, new, code, words):
    assert SOURCE.count(old) == 1
    layer = _check(tmp_path, SOURCE.replace(old, new))
    assert layer["bug_codes"][:1] == [code], layer["bug_codes"]
    said = " ".join(g.get("diagnosis") or "" for g in layer["gradients"].values())
    assert words in said, said
