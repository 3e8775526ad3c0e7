"""A GRU written in PyTorch's equations (the reset gate applied after the candidate's hidden weight, next_h =
(1 - z) * n + z * h) is read by a cell of its own: a derivative read from the wrong array is `wrong-input` and a
path of dprev_h lost to an overwrite is `dropped-term`, as for the textbook's GRU (tests/realcode19: a CMU-style
cell with a weight per gate on vectors, the same with every attribute written out, and a packed step in CS231n's
function convention)."""

from __future__ import annotations

from pathlib import Path

import pytest
from checked_source import checked

HERE = Path(__file__).parent / "realcode19"
CELL = (HERE / "torch_gru_cell_unbatched.py").read_text(encoding="utf-8")
STEP = (HERE / "torch_gru_step_packed.py").read_text(encoding="utf-8")


def _check(tmp_path: Path, source: str, name: str) -> dict:
    return checked(tmp_path, source, "--no-fix-search", file="gru.py")[name]


def _slip(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


@pytest.mark.parametrize(("source", "name"), [(CELL, "GRUCell"), (STEP, "gru_step")], ids=["cell", "packed-step"])
def test_a_right_pytorch_form_gru_passes(tmp_path, source, name):
    layer = _check(tmp_path, source, name)
    assert layer["verdict"] == "pass", layer["bug_codes"]


@pytest.mark.parametrize(("source", "name", "old", "new", "code", "words"), [
    (CELL, "GRUCell", "dr = da_n * self.hn", "dr = da_n * self.n", "wrong-input",
     "the reset gate's gradient multiplies by n, where hn belongs"),
    (CELL, "GRUCell", "dh_prev_t = dh_direct + self.Wnh.T", "dh_prev_t = self.Wnh.T", "dropped-term",
     "lacks dh_next * z"),
    (CELL, "GRUCell", "da_n = dn * (1 - self.n ** 2)", "da_n = dn * (1 - self.hn ** 2)", "wrong-input",
     "the derivative of the candidate n's tanh is computed from hn, where n belongs"),
    (STEP, "gru_step", "dr = da_n * hn", "dr = da_n * n", "wrong-input",
     "the reset gate's gradient multiplies by n, where hn belongs"),
    (STEP, "gru_step", "dhn = da_n * r", "dhn = da_n * z", "wrong-input",
     "the candidate's hidden term's gradient multiplies by z, where r belongs"),
    (STEP, "gru_step", "dprev_h = dnext_h * z + dah @ Wh.T", "dprev_h = dah @ Wh.T", "dropped-term",
     "lacks dh_next * z"),
], ids=["cell-dr-reads-n", "cell-direct-path-dropped", "cell-tanh-at-hn", "step-dr-reads-n", "step-dhn-reads-z",
        "step-direct-path-dropped"])
def test_a_slip_in_a_pytorch_form_gru_is_named_with_the_array_or_path_it_concerns(tmp_path, source, name, old,
                                                                                    new, code, words):
    layer = _check(tmp_path, _slip(source, old, new), name)
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"][0] == code, layer["bug_codes"]
    said = " ".join(g.get("diagnosis") or "" for g in layer["gradients"].values())
    assert words in said, said


def test_the_packed_step_is_read_whatever_the_order_of_its_gates(tmp_path):
    # PyTorch packs r, z, n: the same step with its first two blocks swapped, and the same slip
    swapped = STEP.replace("z = _sig(ax[:, :H] + ah[:, :H])", "z = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])", 1)
    swapped = swapped.replace("r = _sig(ax[:, H:2 * H] + ah[:, H:2 * H])", "r = _sig(ax[:, :H] + ah[:, :H])", 1)
    swapped = swapped.replace("(da_z, da_r, da_n)", "(da_r, da_z, da_n)").replace("(da_z, da_r, dhn)",
                                                                                 "(da_r, da_z, dhn)")
    assert _check(tmp_path, swapped, "gru_step")["verdict"] == "pass"
    layer = _check(tmp_path, _slip(swapped, "dr = da_n * hn", "dr = da_n * n"), "gru_step")
    assert layer["bug_codes"][0] == "wrong-input", layer["bug_codes"]


EXPLICIT = (HERE / "torch_gru_cell_explicit.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("cached", ["self.nh", "self.hn"], ids=["the-letters-in-another-order", "its-name"])
def test_the_reset_gate_reading_n_gets_the_fix_that_reads_the_cached_hidden_term_back(tmp_path, cached):
    # the reading names the cell's hn; the user may call it nh: the fix search tries that array first either way,
    # and the two dozen gradient accumulators the backward writes do not push it out of the arrays it may read
    source = _slip(EXPLICIT, "dr = dn_pre * self.nh", "dr = dn_pre * self.n").replace("self.nh", cached)
    layer = checked(tmp_path, source, file="gru.py")["GRUCell"]
    assert layer["fix"]["status"] == "verified", layer["fix"]
    assert f"+        dr = dn_pre * {cached}" in layer["fix"]["diff"], layer["fix"]["diff"]


def test_the_direct_path_left_out_of_dprev_h_gets_the_fix_that_adds_it_back_in_the_users_names(tmp_path):
    # the reading says dprev_h lacks "dh_next * z": the user's upstream gradient is `delta`, their z is `self.z`
    right = "dh_prev_t = delta * self.z + self.Wnh.T @ dnh"
    source = _slip(EXPLICIT, right, "dh_prev_t = self.Wnh.T @ dnh")
    layer = checked(tmp_path, source, file="gru.py")["GRUCell"]
    assert layer["bug_codes"][:1] == ["dropped-term"], layer["bug_codes"]
    assert layer["fix"]["status"] == "verified", layer["fix"]
    assert f"+        {right}" in layer["fix"]["diff"], layer["fix"]["diff"]
