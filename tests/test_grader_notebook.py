"""Notebook submissions: the code cells that import, define or assign constants are graded; the rest
(data loading, training, magics) are skipped and listed in the feedback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.conventions.notebooks import NotebookError, notebook_source

GOOD = (Path(__file__).parent / "hostile" / "good_layers.py").read_text()


def notebook(*cells: str, markdown: str = "# My layers") -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "markdown", "source": [markdown]}] +
                                [{"cell_type": "code", "source": c.splitlines(keepends=True), "outputs": [],
                                  "execution_count": None, "metadata": {}} for c in cells]})


CELLS = (
    "import numpy as np\nEPS = 1e-7\nSIZES: tuple = (784, 10)",
    "%matplotlib inline",
    GOOD,
    "x_train = np.load('/data/mnist.npy')  # data loading: must not run in the grader",
    "for epoch in range(100):\n    pass",
    "!pip install torch",
)


def test_only_import_definition_and_constant_cells_are_kept():
    source, skipped = notebook_source(notebook(*CELLS).encode())
    assert "class Relu" in source and "EPS = 1e-7" in source
    assert "np.load" not in source and "epoch" not in source and "pip" not in source
    assert [s.split(" (")[0] for s in skipped] == ["cell 2", "cell 4", "cell 5", "cell 6"]
    assert "np.load" in skipped[1]


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b'{"cells": 3}', b"[" * 100_000],
                         ids=["bad JSON", "a list", "cells not a list", "nesting deeper than the stack"])
def test_a_file_that_is_not_a_notebook_is_a_notebook_error(data):
    with pytest.raises(NotebookError):
        notebook_source(data)


def test_a_notebook_submission_is_graded_on_its_layers_and_the_feedback_lists_the_skipped_cells(tmp_path):
    sub = tmp_path / "homework.ipynb"
    sub.write_text(notebook(*CELLS))
    toml = tmp_path / "a.toml"
    toml.write_text('name = "nb"\nconvention = "class"\nexamples = 2\n[[layers]]\nname = "Relu"\npoints = 10\n'
                    '[[layers]]\nname = "Tanh"\npoints = 10\n')
    results = tmp_path / "results.json"
    assert main(["grade", str(sub), "--assignment", str(toml), "--results", str(results)]) == 0
    data = json.loads(results.read_text())
    assert data["score"] == 20
    assert "homework.ipynb cell 4" in data["output"] and "homework.ipynb cell 2" in data["output"]


def test_a_notebook_graded_where_it_was_written_brings_the_helper_modules_its_cells_import(tmp_path):
    (tmp_path / "cs231n").mkdir()
    (tmp_path / "cs231n" / "__init__.py").write_text("")
    (tmp_path / "cs231n" / "activations.py").write_text("from .core import np\n\n\ndef relu(x):\n"
                                                        "    return np.maximum(x, 0)\n")
    (tmp_path / "cs231n" / "core.py").write_text("import numpy as np\n")
    (tmp_path / "helpers.py").write_text("import numpy as np\n\n\ndef tanh(x):\n    return np.tanh(x)\n")
    (tmp_path / "unrelated.py").write_text("raise SystemExit('never imported, never copied')\n")
    sub = tmp_path / "homework.ipynb"
    sub.write_text(notebook(
        "%load_ext autoreload",
        "import numpy as np\nfrom cs231n.activations import relu\nimport helpers",
        "class Relu:\n    def forward(self, x):\n        self.mask = x <= 0\n        return relu(x)\n\n"
        "    def backward(self, dout):\n        dx = dout.copy()\n        dx[self.mask] = 0\n        return dx",
        "class Tanh:\n    def forward(self, x):\n        self.out = helpers.tanh(x)\n        return self.out\n\n"
        "    def backward(self, dout):\n        return dout * (1.0 - self.out ** 2)",
    ))
    toml = tmp_path / "a.toml"
    toml.write_text('name = "nb"\nconvention = "class"\nexamples = 2\n[[layers]]\nname = "Relu"\npoints = 10\n'
                    '[[layers]]\nname = "Tanh"\npoints = 10\n')
    results = tmp_path / "results.json"
    assert main(["grade", str(sub), "--assignment", str(toml), "--results", str(results)]) == 0
    data = json.loads(results.read_text())
    assert data["score"] == 20, data["output"][:1500]
    assert "homework.ipynb cell 1" in data["output"]  # the magic is skipped and listed


def test_a_skipped_cell_that_alone_imports_what_the_layers_use_is_named_with_the_move_that_fixes_it():
    # deeplearning.ai's first cell: imports beside a magic and a seed; the grader keeps whole cells only
    first = "import numpy as np\nimport matplotlib.pyplot as plt\n%matplotlib inline\nnp.random.seed(1)\n"
    layer = "def relu_forward(x):\n    return np.maximum(0, x), x\n"
    plot = "import math\nplt.plot([1, 2])\n"  # imports math, which no kept cell reads
    source, skipped = notebook_source(notebook(first, layer, plot).encode())
    assert "def relu_forward" in source and "import numpy" not in source
    assert "it alone imports np, which your kept cells use: move the imports into a cell of their own" in skipped[0]
    assert "plt" not in skipped[0].split("it alone imports")[1] and "alone imports" not in skipped[1]


def test_a_skipped_cell_whose_imports_a_kept_cell_repeats_gets_no_import_note():
    source, skipped = notebook_source(notebook("import numpy as np\nnp.random.seed(1)\n",
                                               "import numpy as np\n\ndef f(x):\n    return np.tanh(x)\n").encode())
    assert "def f" in source and "alone imports" not in skipped[0]
