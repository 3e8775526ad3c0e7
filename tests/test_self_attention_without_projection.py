"""A learner's single-head self-attention keeps Wq, Wk and Wv only (no output projection Wo) and takes no number of
heads: gradlab checks it as the multi-head kind with Wo held at the identity and one head, saying so. It once failed
as crashed ("keeps no parameter 'Wo'"), and a bug in it was named crashed too.
"""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main

ATTENTION = '''import numpy as np


class SelfAttention:
    def __init__(self, Wq, Wk, Wv):
        self.Wq = Wq
        self.Wk = Wk
        self.Wv = Wv

    def forward(self, x):
        self.x = x
        self.q = np.einsum("ntd,de->nte", x, self.Wq)
        self.k = np.einsum("ntd,de->nte", x, self.Wk)
        self.v = np.einsum("ntd,de->nte", x, self.Wv)
        scores = np.einsum("nte,nse->nts", self.q, self.k) / np.sqrt(x.shape[2])
        e = np.exp(scores - scores.max(axis=2, keepdims=True))
        self.p = e / e.sum(axis=2, keepdims=True)
        return np.einsum("nts,nse->nte", self.p, self.v)

    def backward(self, dout):
        dp = np.einsum("nte,nse->nts", dout, self.v)
        dv = np.einsum("nts,nte->nse", self.p, dout)
        ds = self.p * (dp - (dp * self.p).sum(axis=2, keepdims=True)) / np.sqrt(self.x.shape[2])
        dq = np.einsum("nts,nse->nte", ds, self.k)
        dk = np.einsum("nts,nte->nse", ds, self.q)
        self.dWq = np.einsum("ntd,nte->de", self.x, dq)
        self.dWk = np.einsum("ntd,nte->de", self.x, dk)
        self.dWv = np.einsum("ntd,nte->de", self.x, dv)
        return dq @ self.Wq.T + dk @ self.Wk.T + dv @ self.Wv.T
'''


def _check(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "attention.py"
    path.write_text(source, encoding="utf-8")
    out = tmp_path / "out.json"
    main(["check", str(path), "--examples", "20", "--no-fix-search", "--json", str(out)])
    (layer,) = json.loads(out.read_text(encoding="utf-8"))["layers"]
    return layer


def test_a_self_attention_without_output_projection_or_heads_is_checked_with_one_head(tmp_path: Path):
    layer = _check(tmp_path, ATTENTION)
    assert layer["verdict"] == "warn" and set(layer["gradients"]) == {"dx", "dWq", "dWk", "dWv"}
    assert any("takes no number of heads" in w["message"] for w in layer["warnings"])


def test_a_transposed_weight_in_such_an_attention_is_named_transposed(tmp_path: Path):
    layer = _check(tmp_path, ATTENTION.replace("dv @ self.Wv.T", "dv @ self.Wv"))
    assert layer["verdict"] == "fail" and layer["bug_codes"][0] == "transposed"
