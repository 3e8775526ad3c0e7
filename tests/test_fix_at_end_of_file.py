"""A file whose last line has no newline (an editor's choice, common in notebooks' exports): a fix that edits or
follows that line must still be found, shown as a diff `patch` applies, and never crash the search. The fix search
once raised IndexError on an insertion after the last line, and its diff glued the new line to the old one.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.fixes.rebuild import Edit, apply
from gradlab.fixes.spans import Text

LOSS = """import numpy as np


class SoftmaxCrossEntropy:
    def forward(self, inputs, y_true):
        shifted = inputs - inputs.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        self.output = e / e.sum(axis=1, keepdims=True)
        return -np.mean(np.log(self.output[range(len(inputs)), y_true]))

    def backward(self, dvalues, y_true):
        samples = len(dvalues)
        self.dinputs = self.output.copy()
        self.dinputs[range(samples), y_true] -= 1"""


@pytest.mark.parametrize("ending", ["", "\n"], ids=["no newline", "newline"])
def test_a_fix_after_the_files_last_line_is_found_and_its_diff_applies_with_patch(tmp_path: Path, ending: str):
    layer = tmp_path / "loss.py"
    layer.write_text(LOSS + ending, encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["check", str(layer), "--examples", "12", "--json", str(out)]) == 1
    (report,) = json.loads(out.read_text(encoding="utf-8"))["layers"]
    assert report["bug_codes"][0] == "missing-batch-mean"
    fix = report["fix"]
    assert fix["status"] == "verified", fix
    done = subprocess.run(["patch", "--batch", str(layer)], input=fix["diff"], text=True, capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert main(["check", str(layer), "--examples", "12", "--no-fix-search"]) == 0


def test_an_insertion_after_an_unended_last_line_starts_a_line_of_its_own():
    text = "a = 1\nb = 2"
    assert Text(text).between((3, 0), (3, 0)) == ""  # nothing lies between a point and itself, past the end too
    assert apply(text, (Edit((3, 0), (3, 0), "c = 3\n", "add c"),)) == "a = 1\nb = 2\nc = 3\n"
    assert apply(text + "\n", (Edit((3, 0), (3, 0), "c = 3\n", "add c"),)) == "a = 1\nb = 2\nc = 3\n"
