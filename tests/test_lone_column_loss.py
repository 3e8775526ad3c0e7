"""A cost function written for examples as columns, alone in its file (no column layer beside it to tell), is
checked as columns when its code counts the samples along axis 1 and divides by them (`m = Y.shape[1]`); a rows
loss whose softmax runs over the batch stays that rows bug (tests/realcode19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checked_source import checked

HERE = Path(__file__).parent / "realcode19"
COST = (HERE / "column_cost.py").read_text(encoding="utf-8")


def _check(tmp_path: Path, source: str) -> dict:
    return checked(tmp_path, source, "--no-fix-search", file="cost.py")["softmax_cross_entropy"]


@pytest.mark.parametrize(("old", "new", "codes"), [
    ("", "", []),
    ("dZ = (A - Y) / m", "dZ = A - Y", ["missing-batch-mean"]),
    ("dZ = (A - Y) / m", "dZ = (Y - A) / m", ["sign-flip"]),
], ids=["right", "mean-missing", "sign"])
def test_a_lone_column_cost_is_checked_as_columns_by_how_it_counts_its_samples(tmp_path, old, new, codes):
    layer = _check(tmp_path, COST.replace(old, new) if old else COST)
    assert layer["bug_codes"] == codes, layer["bug_codes"]
    assert layer["verdict"] == ("fail" if codes else "warn")  # warned: it takes one-hot labels only
    assert "counts the samples along axis 1" in layer["detected_layout"]


def test_a_rows_loss_whose_softmax_runs_over_the_batch_stays_couples_samples(tmp_path):
    source = (HERE / "rows_softmax_over_batch.py").read_text(encoding="utf-8")
    [layer] = checked(tmp_path, source, "--no-fix-search", file="rows_softmax_over_batch.py").values()
    assert layer["bug_codes"][:1] == ["couples-samples"] and layer["detected_layout"] is None
