"""`gradlab batch` points at a 1/N only where a 1/N (or another constant) can explain what it measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cli.main import main

AFFINE = """
import numpy as np

def affine_forward(x, w, b):
    return x @ w + b, (x, w, b)

def affine_backward(dout, cache):
    x, w, b = cache
    return dout @ w.T, x.T @ dout, {db}
"""


@pytest.mark.parametrize("db, said", [
    # N times the sum (a 1/N inverted): a factor, which the sentence tells the user to look for
    ("x.shape[0] * dout.sum(axis=0)", "look for a constant factor (or a 1/N in the wrong place)"),
    # summed over the wrong axis: no multiple of the per-sample sums, so no factor is to be looked for
    ("dout.sum(axis=1)", "nor a multiple of it (see above): no constant factor or misplaced 1/N explains that"),
    # the first sample's row alone: of the right shape, and still no multiple of the sum
    ("dout[0].copy()", "nor a multiple of it (see above): no constant factor or misplaced 1/N explains that"),
])
def test_the_batch_verdict_suggests_a_factor_only_where_one_explains_the_gradient(tmp_path: Path, capsys, db, said):
    path = tmp_path / "layers.py"
    path.write_text(AFFINE.format(db=db))
    assert main(["batch", str(path)]) == 1
    out = capsys.readouterr().out
    assert said in out, out
    assert ("look for a constant factor" in out) == ("x.shape[0]" in db)
