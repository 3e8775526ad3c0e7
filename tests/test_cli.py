"""`gradlab check` as a user runs it: exit statuses, the JSON contract, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradlab.cli.main import main

GOOD = """
    import numpy as np
    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1) @ w + b
        return out, (x, w)
    def affine_backward(dout, cache):
        x, w = cache
        dx = (dout @ w.T).reshape(x.shape)
        return dx, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)
"""

BAD = """
    import numpy as np
    class SoftmaxWithLoss:
        def forward(self, x, t):
            z = x - x.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            self.p = np.exp(logp)
            self.t = t if t.ndim == 1 else t.argmax(axis=1)
            return -logp[np.arange(len(self.t)), self.t].mean()
        def backward(self, dout=1):
            d = self.p.copy()
            d[np.arange(len(self.t)), self.t] -= 1
            return d  # the 1/N of the mean is missing
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, src in (("good.py", GOOD), ("bad.py", BAD)):
        out[name] = tmp_path / name
        out[name].write_text(textwrap.dedent(src))
    return out


def test_a_file_of_correct_layers_exits_0(files, capsys):
    assert main(["check", str(files["good.py"]), "--examples", "10"]) == 0
    assert "PASS affine (function style, good.py)" in capsys.readouterr().out


def test_a_buggy_layer_exits_1_and_the_json_names_its_bug(files, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["check", str(files["bad.py"]), "--examples", "20", "--json", str(out), "--seed", "3"]) == 1
    data = json.loads(out.read_text())
    (layer,) = data["layers"]
    assert layer["name"] == "SoftmaxWithLoss"
    assert layer["convention"] == "class"
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"] == ["missing-batch-mean"]
    assert layer["smallest_failing"].startswith("N=2")
    assert layer["passes_with"] == "N=1"
    assert layer["seed"] == 3
    grad = layer["gradients"]["dx"]
    assert set(grad) >= {"max_rel_error", "worst_index"}
    assert "missing-batch-mean" in capsys.readouterr().out


def test_every_layer_entry_in_the_json_carries_the_contract_fields(files, tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(files["good.py"]), str(files["bad.py"]), "--examples", "5", "--json", str(out)])
    layers = json.loads(out.read_text())["layers"]
    assert sorted(layer["name"] for layer in layers) == ["SoftmaxWithLoss", "affine"]  # the loop below is not empty
    for layer in layers:
        assert {"name", "convention", "verdict", "bug_codes", "gradients", "smallest_failing", "seed"} <= set(layer)
        assert layer["verdict"] in ("pass", "fail", "warn")


@pytest.mark.parametrize("argv", [["check", "/no/such/file.py"], ["check", "--examples", "0"], ["nope"]],
                         ids=["missing-path", "zero-examples", "unknown-command"])
def test_a_usage_error_exits_2_with_one_line(argv, capsys):
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own errors
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err and "error" in err[-1]


def test_a_file_that_does_not_import_is_reported_without_a_traceback(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    assert main(["check", str(broken)]) == 1
    out = capsys.readouterr()
    assert "broken.py:1: syntax error" in out.out
    assert "Traceback" not in out.out + out.err


def test_python_dash_m_gradlab_is_the_same_command(files):
    proc = subprocess.run([sys.executable, "-m", "gradlab", "check", str(files["good.py"]), "--examples", "5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "PASS affine" in proc.stdout


def test_check_without_a_path_checks_the_reference_registry(capsys):
    assert main(["check", "--only", "Affine", "--only", "affine", "--examples", "5"]) == 0
    out = capsys.readouterr().out
    assert "PASS Affine (class style)" in out and "PASS affine (function style)" in out
