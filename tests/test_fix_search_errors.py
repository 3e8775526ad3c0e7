"""An error of the fix search's own (gradlab's, not the user's) costs the layer its suggested fix, never its verdict,
its diagnosis or the other layers' reports, and is said in one line rather than as a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import gradlab.fixes.search as search
from gradlab.cli.main import main

LAYERS = """import numpy as np


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(x):
    out = 1 / (1 + np.exp(-x))
    return out, out


def sigmoid_backward(dout, cache):
    return dout * cache
"""


def test_a_search_that_raises_leaves_the_verdict_and_says_so_in_one_line(tmp_path: Path, monkeypatch, capsys):
    layers = tmp_path / "layers.py"
    layers.write_text(LAYERS, encoding="utf-8")

    def broken(*args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(search, "find_fix", broken)
    out = tmp_path / "out.json"
    assert main(["check", str(layers), "--examples", "6", "--json", str(out)]) == 1
    printed = capsys.readouterr()
    assert "Traceback" not in printed.out + printed.err
    assert "the fix search stopped on an error of gradlab's own (IndexError: list index out of range)" in printed.out
    reports = {r["name"]: r for r in json.loads(out.read_text(encoding="utf-8"))["layers"]}
    assert reports["relu"]["verdict"] == "pass"
    assert reports["sigmoid"]["verdict"] == "fail" and reports["sigmoid"]["bug_codes"]
    assert reports["sigmoid"]["fix"]["status"] == "none-found"
