"""Finding layers in a user's file by their course names, and clear errors for files that do not import."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from gradlab.conventions.discover import LoadError, discover, entry_for, find_layers, load_module
from gradlab.kinds import KINDS, normalise_class_name

README = Path(__file__).resolve().parents[1] / "README.md"


def write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


CLASSES = """
    import numpy as np
    class Affine:
        def __init__(self, W, b): self.W, self.b = W, b
        def forward(self, x): return x
        def backward(self, dout): return dout
    class ReLU:
        def forward(self, x): return x
        def backward(self, dout): return dout
    class SoftmaxWithLoss:
        def forward(self, x, t): return 0.0
        def backward(self, dout=1): return None
    class Attention:
        def forward(self, x): return x
        def backward(self, dout): return dout
    class Helper:
        pass
"""

FUNCTIONS = """
    def affine_forward(x, w, b): return x, None
    def affine_backward(dout, cache): return dout, None, None
    def conv_forward_naive(x, w, b, conv_param): return x, None
    def conv_backward_naive(dout, cache): return dout, None, None
    def max_pool_forward_naive(x, pool_param): return x, None
    def max_pool_backward_naive(dout, cache): return dout
    def softmax_loss(x, y): return 0.0, x
    def svm_loss(x, y): return 0.0, x
    def maxout_forward(x, g, b, p): return x, None
    def maxout_backward(dout, cache): return dout, None, None
    def relu_forward(x): return x, None
    def batchnorm_backward_alt(dout, cache): return dout
"""


def test_class_style_layers_are_recognised_by_their_usual_names(tmp_path):
    found = find_layers(load_module(write(tmp_path, "layers.py", CLASSES)))
    kinds = {e.name: e.kind for e in found.entries}
    assert kinds == {"Affine": "affine", "ReLU": "relu", "SoftmaxWithLoss": "softmax_with_loss"}
    assert all(e.convention == "class" for e in found.entries)
    assert [name for name, _ in found.skipped] == ["Attention"]


def test_function_pairs_are_one_layer_named_by_their_stem_and_losses_keep_their_name(tmp_path):
    found = find_layers(load_module(write(tmp_path, "layers.py", FUNCTIONS)))
    kinds = {e.name: e.kind for e in found.entries}
    assert kinds == {"affine": "affine", "conv": "conv", "max_pool": "max_pool",
                     "softmax_loss": "softmax_with_loss", "svm_loss": "svm_loss"}
    skipped = dict(found.skipped)
    assert "not a layer name" in skipped["maxout"]
    assert "no matching relu_backward" in skipped["relu"]
    assert "batchnorm_backward_alt" in skipped


def test_names_imported_from_elsewhere_are_not_taken_for_the_files_own_layers(tmp_path):
    write(tmp_path, "common.py", CLASSES)
    user = write(tmp_path, "mine.py", "from common import Affine\n")
    assert find_layers(load_module(user)).entries == []


@pytest.mark.parametrize(
    "source, expected",
    [
        ("def f(:\n    pass\n", "syntax error"),
        # a star import gets no stand-in: what it provides is what the layers compute with
        ("from torchvision_not_here import *\n",
         "imports 'torchvision_not_here' (line 1), which is neither installed nor found"),
        ("raise ValueError('boom')\n", "raised ValueError while being imported (line 1): boom"),
        ("import sys\nsys.exit(0)\n", "raised SystemExit"),
    ],
    ids=["syntax-error", "missing-import", "raises-at-import", "exits-at-import"],
)
def test_a_file_that_does_not_import_gives_one_line_saying_what_to_fix(tmp_path, source, expected):
    path = write(tmp_path, "bad.py", source)
    with pytest.raises(LoadError) as info:
        load_module(path)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert message.startswith("bad.py")


def test_a_folder_is_searched_and_a_broken_file_does_not_hide_the_others(tmp_path):
    write(tmp_path, "good.py", FUNCTIONS)
    write(tmp_path, "bad.py", "x = (\n")
    results = {Path(f.path).name: f for f in discover([tmp_path])}
    assert results["bad.py"].error is not None
    assert len(results["good.py"].entries) == 5


def test_a_missing_path_is_an_error_naming_it():
    with pytest.raises(FileNotFoundError, match="no-such-file.py"):
        discover(["no-such-file.py"])


def test_entry_for_needs_a_kind_when_the_name_is_unusual():
    class MyDense:
        def forward(self, x):
            return x

        def backward(self, d):
            return d

    with pytest.raises(ValueError, match="pass kind="):
        entry_for(MyDense)
    assert entry_for(MyDense, kind="affine").kind == "affine"


def _readme_names_table() -> dict[str, tuple[set[str], set[str]]]:
    """README's table of the names gradlab knows: kind -> (class names, function names), as written."""
    text = README.read_text()
    section = text[text.index("## Check your own layers"):]
    section = section[section.index("| kind |"):]
    rows = section[:section.index("\n\n")].splitlines()[2:]
    table = {}
    for row in rows:
        kind, classes, functions = (cell.strip() for cell in row.strip("|").split("|"))
        table[kind] = (set(re.findall(r"`([^`]+)`", classes)), set(re.findall(r"`([^`]+)`", functions)))
    return table


def test_the_readme_names_table_lists_every_class_name_and_function_name_of_every_kind():
    table = _readme_names_table()
    assert set(table) == set(KINDS)
    for name, kind in KINDS.items():
        classes, functions = table[name]
        assert {normalise_class_name(c) for c in classes} == set(kind.class_names), name
        assert {f"{stem}_*" for stem in kind.function_stems} | set(kind.loss_functions) <= functions, name
