"""A convolution given its filters whose code reads one size of them (`F, C, k, _ = self.W.shape`, windows
`i:i + k, j:j + k`) has no width to use: gradlab's cases with filters of another height than width are set aside
for it, as for a layer built from one kernel size, and it is checked on the square ones; it once failed as crashed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

CONV = '''import numpy as np


class Conv2D:
    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        self.x = x
        N, C, H, Wd = x.shape
        {unpack} = self.W.shape
        Ho, Wo = H - k + 1, Wd - k + 1
        out = np.zeros((N, F, Ho, Wo))
        for n in range(N):
            for f in range(F):
                for i in range(Ho):
                    for j in range(Wo):
                        out[n, f, i, j] = np.sum(x[n, :, i:i + k, j:j + k] * self.W[f]) + self.b[f]
        return out

    def backward(self, dout):
        N, C, H, Wd = self.x.shape
        {unpack} = self.W.shape
        _, _, Ho, Wo = dout.shape
        self.dW = np.zeros_like(self.W)
        self.db = dout.sum(axis=(0, 2, 3))
        dx = np.zeros_like(self.x)
        for n in range(N):
            for f in range(F):
                for i in range(Ho):
                    for j in range(Wo):
                        self.dW[f] += dout[n, f, i, j] * self.x[n, :, i:i + k, j:j + k]
                        dx[n, :, i:i + k, j:j + k] += dout[n, f, i, j] * self.W[f]{slip}
        return dx
'''


def _conv(tmp_path: Path, unpack: str, slip: str = "") -> dict:
    path = tmp_path / "conv.py"
    path.write_text(CONV.format(unpack=unpack, slip=slip), encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(path), "--examples", "30", "--no-fix-search", "--json", str(out)])
    (layer,) = json.loads(out.read_text(encoding="utf-8"))["layers"]
    return layer


@pytest.mark.parametrize("unpack", ["F, _, k, _", "F, C, k, k"])
def test_a_conv_that_reads_one_size_of_its_filters_is_checked_on_square_filters(tmp_path: Path, unpack: str):
    layer = _conv(tmp_path, unpack)
    assert layer["verdict"] == "warn", layer["bug_codes"]
    assert any("reads one size of its filters" in w["message"] for w in layer["warnings"])


def test_a_slip_in_such_a_conv_still_fails(tmp_path: Path):
    layer = _conv(tmp_path, "F, _, k, _", slip=" * 2")
    assert layer["verdict"] == "fail" and layer["bug_codes"][0] == "scaled"
