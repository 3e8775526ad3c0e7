"""`gradlab train --model` on a model that could not be checked says so, in one line, and never calls it failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cli.main import main

#: models the check cannot judge: (source, what the refusal must say of it)
UNCHECKED = {
    "not buildable": ("""
class TwoLayerNet:
    def __init__(self, config_path):
        self.params = {}

    def loss(self, X, y=None):
        return 0.0, {}
""", "cannot build the model"),
    "not implemented yet": ("""
import numpy as np

class TwoLayerNet:
    def __init__(self, input_dim=784, hidden_dim=30, num_classes=10, reg=0.0):
        self.params = {"W1": np.zeros((input_dim, hidden_dim)), "b1": np.zeros(hidden_dim),
                       "W2": np.zeros((hidden_dim, num_classes)), "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        scores = None
        # TODO: the forward pass
        if y is None:
            return scores
        return None, {}
""", "not implemented yet"),
}


@pytest.mark.parametrize("why", list(UNCHECKED))
def test_training_a_model_that_could_not_be_checked_says_it_was_not_checked(tmp_path: Path, capsys, why: str):
    source, said = UNCHECKED[why]
    path = tmp_path / "net.py"
    path.write_text(source)
    # no --data: the refusal comes before any data is needed
    assert main(["train", "--model", f"{path}:TwoLayerNet", "--out", str(tmp_path / "out"), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith("gradlab train: refusing to train TwoLayerNet: not checked, so its gradients are not "
                          "verified: ") and said in err
    assert "failed" not in err and "[]" not in err
    assert not (tmp_path / "out").exists()
