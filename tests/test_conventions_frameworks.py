"""A course's PyTorch reference next to its numpy layers is set aside, not failed.

CS231n 2019's `fast_layers.py` holds `conv_forward_pytorch`, which returns a torch tensor: it is not
numpy code, so gradlab does not check it and says so; the same layer returning a numpy array is checked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main

RELU = '''
import numpy as np
{imports}


def relu_forward_{name}(x):
    out = {wrap}(np.maximum(x, 0))
    return out, x


def relu_backward_{name}(dout, cache):
    return {unwrap}(dout) * (cache > 0)
'''


def _check(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "fast_layers.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "10", "--no-fix-search"])
    return json.loads(out.read_text())


def test_a_forward_returning_a_torch_tensor_is_not_checked_and_says_why(tmp_path):
    pytest.importorskip("torch")
    result = _check(tmp_path, RELU.format(imports="import torch", name="pytorch", wrap="torch.tensor",
                                          unwrap="np.asarray"))
    assert result["layers"] == []
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "relu_pytorch"]
    assert "returned a torch Tensor" in reason and "not checked" in reason


def test_the_same_layer_in_numpy_is_checked(tmp_path):
    result = _check(tmp_path, RELU.format(imports="", name="numpy", wrap="", unwrap=""))
    assert [(layer["name"], layer["verdict"]) for layer in result["layers"]] == [("relu_numpy", "pass")]
