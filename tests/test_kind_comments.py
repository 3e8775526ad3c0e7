"""A layer with an unusual name is found through a `# gradlab: kind=` comment (or `kinds=` given to
discovery), and a comment that names no kind is a one-line error, not a silent skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.conventions.discover import discover
from gradlab.conventions.source_reading import kind_comments

SOURCE = '''
import numpy as np


# gradlab: kind=affine
class MyFancyLayer:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


# gradlab: kind=relu
def rectify_forward(x):
    return np.maximum(x, 0), x


def rectify_backward(dout, cache):
    return dout * (cache > 0)


class Squash:
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout):
        return dout * (1 - self.y ** 2)
'''


def _found(tmp_path: Path, source: str, **kwargs):
    path = tmp_path / "layers.py"
    path.write_text(source)
    (found,) = discover([path], **kwargs)
    return found


def test_a_comment_above_a_class_or_a_forward_function_gives_its_kind(tmp_path):
    found = _found(tmp_path, SOURCE)
    assert {(e.name, e.kind) for e in found.entries} == {("MyFancyLayer", "affine"), ("rectify", "relu")}
    assert [name for name, _ in found.skipped] == ["Squash"]


def test_kinds_given_to_discovery_name_what_a_comment_would(tmp_path):
    found = _found(tmp_path, SOURCE, kinds={"Squash": "tanh"})
    assert ("Squash", "tanh") in {(e.name, e.kind) for e in found.entries}


def test_a_comment_belongs_to_the_definition_just_below_it_decorators_allowed():
    source = "# gradlab: kind=tanh\n@some.decorator\nclass A:\n    pass\n\n# gradlab: kind=relu\nx = 1\nclass B:\n    pass\n"
    assert kind_comments(source) == {"A": "tanh"}


def test_a_comment_that_names_no_kind_is_a_one_line_error(tmp_path):
    found = _found(tmp_path, SOURCE.replace("kind=affine", "kind=afine"))
    assert found.error is not None and "kind=afine" in found.error and "affine" in found.error
    assert "\n" not in found.error


def test_gradlab_check_kind_names_what_a_layer_computes_and_refuses_an_unknown_kind(tmp_path, capsys):
    import json

    from gradlab.cli.main import main

    path = tmp_path / "layers.py"
    path.write_text(SOURCE)
    out = tmp_path / "out.json"
    assert main(["check", str(path), "--kind", "Squash=tanh", "--json", str(out), "--examples", "5"]) == 0
    assert "Squash" in {layer["name"] for layer in json.loads(out.read_text())["layers"]}
    assert main(["check", str(path), "--kind", "Squash=tan"]) == 2
    assert "not a layer kind gradlab knows" in capsys.readouterr().err
