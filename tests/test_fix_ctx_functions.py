"""Custom functions written as torch.autograd.Function is (a `ctx` first argument, `return dx, None`) get the fixes
their slips need: a setting the forward stores on ctx (`ctx.alpha`) put back on the branch that lost it, and the
element count of a mean over every element (`diff.size`), which the code never binds to a name, put back in the
returned tuple's gradient (fixture tests/realcode17/ctx_settings/functions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checked_source import checked

SOURCE = (Path(__file__).parent / "realcode17" / "ctx_settings" / "functions.py").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "right", "slipped"), [
    ("ELUFunction", "np.where(x > 0, 1.0, ctx.alpha * np.exp(np.minimum(x, 0)))",
     "np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))"),
    ("MSELossFunction", "grad_output * 2.0 * diff / diff.size, None", "grad_output * 2.0 * diff, None"),
], ids=["elu-alpha", "mse-element-count"])
def test_a_custom_functions_slip_gets_the_verified_fix_that_restores_its_line(tmp_path, name, right, slipped):
    assert SOURCE.count(right) == 1
    [layer] = checked(tmp_path, SOURCE.replace(right, slipped), "--only", name, file="functions.py").values()
    assert layer["verdict"] == "fail"
    assert layer["fix"]["status"] == "verified", layer["fix"]
    assert right in layer["fix"]["diff"].split("\n+", 1)[1], layer["fix"]["diff"]
