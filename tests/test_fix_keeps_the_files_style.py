"""A fix that adds the reduction axis a gradient lost writes it in the file's style: where the file keeps reduced axes
(`keepdims=True` beside it, a (1, C) parameter), the gradient keeps its axis too, although a lenient check would let
a (C,) gradient pass for it (fixture tests/realcode19/cmu_batchnorm1d.py)."""

from __future__ import annotations

from pathlib import Path

from checked_source import checked

SOURCE = (Path(__file__).parent / "realcode19" / "cmu_batchnorm1d.py").read_text(encoding="utf-8")


def test_a_bias_gradient_summed_over_every_axis_gets_the_fix_that_keeps_its_axis(tmp_path):
    right = "self.dLdBb = np.sum(dLdBZ, axis=0, keepdims=True)"
    assert SOURCE.count(right) == 1
    [layer] = checked(tmp_path, SOURCE.replace(right, "self.dLdBb = np.sum(dLdBZ)"), file="batchnorm.py").values()
    assert layer["fix"]["status"] == "verified", layer["fix"]
    assert f"+        {right}" in layer["fix"]["diff"], layer["fix"]["diff"]
