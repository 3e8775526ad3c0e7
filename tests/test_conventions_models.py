"""A sequence model built from a vocabulary (CS231n's CaptioningRNN(word_to_idx, ...)) is set aside, not failed.

Its loss takes image features and captions, not `loss(X, y)`, and gradlab does not build a vocabulary, so it
cannot check it: every CS231n assignment 3 solution was FAIL for this model alone. A model whose unknown
argument is no vocabulary is not checked either (a gap in gradlab, not a bug in the code), with what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main

CAPTIONING = '''
import numpy as np


class CaptioningRNN:
    def __init__(self, word_to_idx, input_dim=512, wordvec_dim=128, hidden_dim=128, dtype=np.float32):
        self.word_to_idx = word_to_idx
        self.params = {"W_proj": np.zeros((input_dim, hidden_dim), dtype=dtype)}

    def loss(self, features, captions):
        return 0.0, {"W_proj": np.zeros_like(self.params["W_proj"])}
'''


def test_a_model_built_from_a_vocabulary_is_set_aside_with_the_reason(tmp_path, monkeypatch):
    (tmp_path / "rnn.py").write_text(CAPTIONING)
    monkeypatch.chdir(tmp_path)
    status = main(["check", "rnn.py", "--json", "out.json", "--examples", "3", "--no-fix-search"])
    result = json.loads(Path("out.json").read_text())
    assert result["layers"] == []
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "CaptioningRNN"]
    assert "takes a vocabulary" in reason and "not checked" in reason
    assert status == 1  # nothing was checked: said, not passed


def test_the_same_model_with_an_unknown_argument_that_is_no_vocabulary_is_not_checked_and_told_what_to_do(
        tmp_path, monkeypatch):
    (tmp_path / "rnn.py").write_text(CAPTIONING.replace("word_to_idx", "config"))
    monkeypatch.chdir(tmp_path)
    main(["check", "rnn.py", "--json", "out.json", "--examples", "3", "--no-fix-search"])
    result = json.loads(Path("out.json").read_text())
    assert result["layers"] == []  # never a FAIL: the code may be right
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "CaptioningRNN"]
    assert "'config'" in reason and "not checked: give it a default" in reason
