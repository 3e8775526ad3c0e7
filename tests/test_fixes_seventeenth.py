"""The fix families of session 32 for held-out layers that got no verified fix (issue 19): each one-slip layer, written
here in a copy of tests/realcode17's correct files, gets the correct text back as a verified fix, and the correct file
gets none. The slips: a recurrent backward's loop run forwards in time; an LSTM step handed zeros for the cell state's
gradient the step before returned (unpacked from a name a line later); a log-softmax loss whose scores are not shifted
by their maximum where they are bound; a batch norm's variance taken with ddof=1 in forward; a GELU's normal density
without the half in its exponent, and one whose derivative is the normal CDF alone; a softmax normalised in place (`p /=
p.sum(...)`) whose backward keeps only the Jacobian's diagonal, and one whose per-sample Jacobian matrix is its diagonal
alone; an attention's dx without the keys' path, the queries' and values' written alike; a batched attention product
whose operand is not transposed over its last two axes (crashed); a linear layer's db left (out,) where its bias is a
column (out, 1); a staged batch norm whose mean's path is computed and left out of dx; a group norm's dgamma and dbeta
both summed without keepdims (one slip made twice, whose two partial repairs are paired as soon as both are found, well
inside the search's budget)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import discover
from gradlab.core.results import FAIL
from gradlab.fixes import find_fix

HERE = Path(__file__).parent / "realcode17"

#: (fixture, layer, each right text with the slip written in its place)
SLIPS = {
    "loop-forwards": ("fixes_recurrent.py", "rnn", [("for k in reversed(range(steps)):", "for k in range(steps):")]),
    "cell-gradient-zeros": ("fixes_recurrent.py", "lstm", [("dh[:, k, :] + dh_next, dc_next, cache[k])",
                                                           "dh[:, k, :] + dh_next, np.zeros((N, H)), cache[k])")]),
    "scores-not-shifted": ("fixes_forward.py", "softmax_loss",
                           [("logits = x - np.max(x, axis=1, keepdims=True)", "logits = x")]),
    "unbiased-variance": ("fixes_forward.py", "BatchNorm", [("x.var(axis=0)", "x.var(axis=0, ddof=1)")]),
    "density-without-half": ("fixes_forward.py", "GELU", [("np.exp(-(x * x) / 2)", "np.exp(-(x * x))")]),
    "softmax-diagonal-only": ("fixes_forward.py", "Softmax",
                              [("p * (dout - np.sum(dout * p, axis=1, keepdims=True))", "p * dout")]),
    "jacobian-diagonal-only": ("fixes_forward.py", "softmax",
                               [("jac = np.diagflat(yi) - np.outer(yi, yi)", "jac = np.diagflat(yi)")]),
    "branch-left-out": ("fixes_attention.py", "mha",
                        [("dx = dq @ Wq.T + dv @ Wv.T + dk @ Wk.T", "dx = dq @ Wq.T + dv @ Wv.T")]),
    "batched-product-untransposed": ("fixes_attention.py", "sdpa",
                                     [("dk = np.swapaxes(ds, -1, -2) @ q", "dk = ds @ q")]),
    "mean-path-computed-unused": ("fixes_staged.py", "batchnorm",
                                  [("dx = dxn / std + dsigma2 * 2.0 * xc / m + dmu / m",
                                    "dx = dxn / std + dsigma2 * 2.0 * xc / m")]),
    "gelu-density-term-dropped": ("fixes_forward.py", "gelu", [(
        "slope = 0.5 * (1.0 + _erf(x / np.sqrt(2.0))) + x * np.exp(-x ** 2 / 2) / np.sqrt(2 * np.pi)",
        "slope = 0.5 * (1.0 + _erf(x / np.sqrt(2.0)))")]),
    "column-bias-left-a-row": ("fixes_shapes.py", "Linear", [("dout.sum(axis=0).reshape(self.b.shape)",
                                                               "dout.sum(axis=0)")]),
    "keepdims-lost-twice": ("fixes_groupnorm.py", "spatial_groupnorm",
                            [("(dout * xn).sum(axis=(0, 2, 3), keepdims=True)", "(dout * xn).sum(axis=(0, 2, 3))"),
                             ("dout.sum(axis=(0, 2, 3), keepdims=True)", "dout.sum(axis=(0, 2, 3))")]),
}
#: candidates the search may screen before it finds each fix: a quarter of its budget
TRIED_AT_MOST = 100


def _entry(path: Path, name: str):  # noqa: ANN202 - the registry's Entry
    return next(e for f in discover([path]) for e in f.entries if e.name == name)


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_the_slipped_layer_gets_the_correct_text_back_as_a_verified_fix(tmp_path: Path, slip: str) -> None:
    fixture, name, edits = SLIPS[slip]
    text = slipped = (HERE / fixture).read_text(encoding="utf-8")
    for right, wrong in edits:
        assert slipped.count(right) == 1, slip
        slipped = slipped.replace(right, wrong)
    path = tmp_path / fixture
    path.write_text(slipped, encoding="utf-8")
    entry = _entry(path, name)
    report = check_entry(entry, examples=20, seed=0)
    assert report.verdict == FAIL, slip
    fix = find_fix(entry, report, examples=20, seed=0)
    assert fix is not None and fix.status == "verified", (slip, fix and fix.status, report.bug_codes)
    assert fix.new_text == text, fix.diff
    assert fix.tried <= TRIED_AT_MOST, fix.tried
    # the fixed file, imported afresh and checked on other cases, passes
    fixed = tmp_path / "fixed" / fixture
    fixed.parent.mkdir()
    fixed.write_text(fix.new_text, encoding="utf-8")
    assert check_entry(_entry(fixed, name), examples=30, seed=3).verdict != FAIL, fix.diff


@pytest.mark.parametrize("fixture", ["fixes_recurrent.py", "fixes_forward.py", "fixes_groupnorm.py",
                                     "fixes_attention.py", "fixes_staged.py",
                                     "fixes_shapes.py"])
def test_the_correct_layers_pass_and_get_no_fix(fixture: str) -> None:
    for entry in (e for f in discover([HERE / fixture]) for e in f.entries):
        report = check_entry(entry, examples=20, seed=0)
        assert report.verdict != FAIL, entry.name
        assert find_fix(entry, report, examples=20, seed=0) is None
