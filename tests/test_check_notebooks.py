"""`gradlab check nb.ipynb`: learners of deeplearning.ai's courses and many others publish their layers in a
notebook, not a module. gradlab reads the cells that only import, define or assign constants (the grader's rule,
so training cells never run), checks the layers there, and speaks of the notebook: a fix names the code cell and
counts lines within it, and `--fix` writes the edited cell back without touching the rest of the notebook.
"""

from __future__ import annotations

import json
from pathlib import Path

from gradlab.cli.main import main

AFFINE = """class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout{bug}
        self.db = dout.sum(axis=0)
        return dout @ self.W.T
"""


def _notebook(path: Path, *codes: str, jupyter_layout: bool = True) -> Path:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Week 2: the affine layer"]}]
    for code in codes:
        cells.append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                      "source": code.splitlines(keepends=True)})
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n" if jupyter_layout else json.dumps(nb),
                    encoding="utf-8")
    return path


def _report(tmp_path: Path, notebook: Path, *extra: str) -> tuple[int, dict]:
    out = tmp_path / "out.json"
    status = main(["check", str(notebook), "--examples", "12", "--json", str(out), *extra])
    return status, json.loads(out.read_text(encoding="utf-8"))


def test_a_correct_layer_defined_in_a_notebook_passes_and_its_training_cells_never_run(tmp_path: Path):
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np\n", AFFINE.format(bug=""),
                   "data = np.load('train.npz')  # no such file: this cell must not run\n",
                   "!pip install numpy\n")
    status, report = _report(tmp_path, nb)
    assert status == 0, report
    (layer,) = report["layers"]
    # (warn: this Affine takes 2-D input only, where the textbook's flattens 4-D input too)
    assert (layer["name"], layer["verdict"], layer["fix"]) == ("Affine", "warn", None)


def test_a_bug_in_a_notebook_gets_a_fix_that_names_the_code_cell_and_counts_lines_within_it(tmp_path: Path):
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np\n", AFFINE.format(bug=" / dout.shape[0]"))
    status, report = _report(tmp_path, nb)
    (layer,) = report["layers"]
    assert status == 1 and layer["bug_codes"][0] == "extra-batch-mean"
    fix = layer["fix"]
    assert fix["status"] == "verified" and fix["file"] == "week2.ipynb (code cell 2)"
    assert fix["lines"] == [10]  # the 10th line of the cell holding the class
    assert "-        self.dW = self.x.T @ dout / dout.shape[0]\n" in fix["diff"]
    assert "@@ -9,3 +9,3 @@" in fix["diff"]


def test_fix_writes_the_edited_cell_into_the_notebook_and_the_next_check_passes(tmp_path: Path):
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np\n", AFFINE.format(bug=" / dout.shape[0]"))
    before = json.loads(nb.read_text(encoding="utf-8"))
    assert main(["check", str(nb), "--examples", "12", "--fix"]) == 1
    after = json.loads(nb.read_text(encoding="utf-8"))
    assert "".join(after["cells"][2]["source"]) == AFFINE.format(bug="")
    assert after["cells"][:2] == before["cells"][:2] and after["metadata"] == before["metadata"]
    assert main(["check", str(nb), "--examples", "12"]) == 0


def test_a_notebook_in_another_json_layout_is_shown_its_fix_but_left_untouched(tmp_path: Path):
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np\n", AFFINE.format(bug=" / dout.shape[0]"),
                   jupyter_layout=False)
    text = nb.read_text(encoding="utf-8")
    assert main(["check", str(nb), "--examples", "12", "--fix"]) == 1
    assert nb.read_text(encoding="utf-8") == text


def test_a_notebook_imports_the_modules_beside_it(tmp_path: Path):
    (tmp_path / "helpers.py").write_text("import numpy as np\n\n\ndef matmul(a, b):\n    return a @ b\n",
                                         encoding="utf-8")
    layer = AFFINE.format(bug="").replace("return x @ self.W + self.b", "return matmul(x, self.W) + self.b")
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np\nfrom helpers import matmul\n", layer)
    status, report = _report(tmp_path, nb)
    assert status == 0 and [(entry["name"], entry["verdict"]) for entry in report["layers"]] == [("Affine", "warn")]


def test_a_file_named_ipynb_that_is_no_notebook_gets_one_line_that_says_so(tmp_path: Path, capsys):
    bad = tmp_path / "week2.ipynb"
    bad.write_text("{not json", encoding="utf-8")
    assert main(["check", str(bad)]) == 1
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("ERROR")]
    assert "week2.ipynb" in line and "not a Jupyter notebook" in line and "Traceback" not in out


def test_a_notebook_whose_every_cell_runs_code_says_which_statements_gradlab_keeps(tmp_path: Path, capsys):
    nb = _notebook(tmp_path / "week2.ipynb", "x = load()\nprint(x)\n", "%%time\nimport numpy as np\n")
    assert main(["check", str(nb)]) == 1
    out = capsys.readouterr().out
    assert "only imports, defines functions or classes, or assigns constants" in out


def test_imports_beside_magics_and_plot_settings_are_kept_as_a_course_first_cell_holds_them(tmp_path: Path):
    first = "import numpy as np\nimport matplotlib.pyplot as plt\n%matplotlib inline\nplt.rcParams['a'] = 1\n"
    nb = _notebook(tmp_path / "week2.ipynb", first.replace("import matplotlib.pyplot as plt\n", ""),
                   AFFINE.format(bug=""))
    status, report = _report(tmp_path, nb)
    assert status == 0 and [entry["verdict"] for entry in report["layers"]] == ["warn"]


def test_fix_keeps_the_code_that_runs_in_the_edited_cell(tmp_path: Path):
    tried = "\nlayer = Affine(np.ones((2, 2)), np.zeros(2))\nprint(layer.forward(np.ones((1, 2))))\n"
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np\n", AFFINE.format(bug=" / dout.shape[0]") + tried)
    assert main(["check", str(nb), "--examples", "12", "--fix"]) == 1
    cell = "".join(json.loads(nb.read_text(encoding="utf-8"))["cells"][2]["source"])
    assert cell == AFFINE.format(bug="") + tried


RELU_FROM_HELPERS = """def relu_layer_forward(x):
    out = relu(x)
    return out, x


def relu_layer_backward(dout, cache):
    return relu_backward(dout, cache)
"""


def test_modules_a_notebook_imports_but_nobody_uploaded_stand_in_and_a_layer_that_uses_one_is_set_aside(
        tmp_path: Path, capsys):
    first = "import numpy as np\nfrom public_tests import *\nfrom week4_helpers import relu, relu_backward\n"
    nb = _notebook(tmp_path / "week4.ipynb", first, AFFINE.format(bug=""), RELU_FROM_HELPERS)
    status, report = _report(tmp_path, nb)
    out = capsys.readouterr().out
    assert [(e["name"], e["verdict"]) for e in report["layers"]] == [("Affine", "warn")]  # checked, not failed
    assert status == 0 and "FAIL" not in out
    assert "SKIP public_tests, week4_helpers: imported by week4.ipynb (code cell 1, lines 2, 3) but neither installed nor found" in out
    (why,) = [line for line in out.splitlines() if line.startswith("SKIP relu_layer")]
    assert "week4_helpers" in why


def test_a_python_file_that_imports_a_missing_module_is_still_an_error(tmp_path: Path, capsys):
    layer = tmp_path / "layers.py"
    layer.write_text("import numpy as np\nfrom week4_helpers import relu\n\n\n" + AFFINE.format(bug=""),
                     encoding="utf-8")
    assert main(["check", str(layer)]) == 1
    assert "imports 'week4_helpers'" in capsys.readouterr().out


def test_a_folders_notebooks_are_read_unless_exported_beside_them_as_a_py_of_their_name(tmp_path: Path):
    _notebook(tmp_path / "week2.ipynb", "import numpy as np\n", AFFINE.format(bug=" / dout.shape[0]"))
    _notebook(tmp_path / "week3.ipynb", "import numpy as np\n", AFFINE.format(bug=""))
    (tmp_path / "week3.py").write_text("import numpy as np\n\n\n" + AFFINE.format(bug=""), encoding="utf-8")
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    out = tmp_path / "out.json"
    assert main(["check", str(tmp_path), "--examples", "12", "--no-fix-search", "--json", str(out)]) == 1
    layers = json.loads(out.read_text(encoding="utf-8"))["layers"]
    assert sorted((Path(e["source"]).name, e["verdict"]) for e in layers) == [("week2.ipynb", "fail"),
                                                                             ("week3.py", "warn")]


def test_a_crash_in_a_notebook_names_the_code_cell_and_its_line(tmp_path: Path):
    crashing = AFFINE.format(bug="").replace("self.db = dout.sum(axis=0)", "self.db = dout.sum(axis=0)[5]")
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np\n", crashing)
    status, report = _report(tmp_path, nb)
    (layer,) = report["layers"]
    # where it runs (six outputs or more) db is one number: that code comes first since 6f95a2d, then the crash
    assert status == 1 and "crashed" in layer["bug_codes"]
    assert "(at week2.ipynb, code cell 2, line 11: self.db = dout.sum(axis=0)[5])" in json.dumps(layer)


def test_a_templates_none_placeholder_that_is_unpacked_is_not_implemented_yet_not_a_crash(tmp_path: Path, capsys):
    pool = """def pool_forward(A_prev, hparameters, mode="max"):
    f = hparameters["f"]
    m, n_H, n_W, n_C = A_prev.shape
    windows = A_prev[:, :n_H // f * f, :n_W // f * f].reshape(m, n_H // f, f, n_W // f, f, n_C)
    if mode == "max":
        A = windows.max(axis=(2, 4))
    elif mode == "average":
        A = windows.mean(axis=(2, 4))
    return A, (A_prev, hparameters)


def pool_backward(dA, cache, mode="max"):
    (A_prev, hparameters) = None
    dA_prev = None
    if mode == "max":
        mask = None
    elif mode == "average":
        da = None
    return dA_prev
"""
    nb = _notebook(tmp_path / "week1.ipynb", "from __future__ import print_function\nimport numpy as np\n", pool,
                   "from __future__ import division\n")
    main(["check", str(nb), "--no-fix-search"])
    out = capsys.readouterr().out
    assert "FAIL" not in out and "not implemented yet" in out


LINEAR_ACTIVATION = """def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    return Z, (A, W, b)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T) / m
    db = np.sum(dZ, axis=1, keepdims=True) / m
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db


def linear_activation_forward(A_prev, W, b, activation):
    Z, linear_cache = linear_forward(A_prev, W, b)
    if activation == "sigmoid":
        A, activation_cache = sigmoid(Z)
    elif activation == "relu":
        A, activation_cache = relu(Z)
    return A, (linear_cache, activation_cache)


def linear_activation_backward(dA, cache, activation):
    linear_cache, activation_cache = cache
    if activation == "relu":
        dZ = relu_backward(dA, activation_cache)
    elif activation == "sigmoid":
        dZ = sigmoid_backward(dA, activation_cache)
    return linear_backward(dZ, linear_cache)
"""
COURSE_IMPORTS = "import numpy as np\nfrom dnn_utils import sigmoid, sigmoid_backward, relu, relu_backward\n"


def test_the_courses_helper_modules_a_learner_left_out_are_lent_and_the_layers_on_them_checked(tmp_path: Path,
                                                                                                 capsys):
    nb = _notebook(tmp_path / "week4.ipynb", COURSE_IMPORTS, LINEAR_ACTIVATION)
    script = tmp_path / "week4_export.py"
    script.write_text(COURSE_IMPORTS + "\n\n" + LINEAR_ACTIVATION, encoding="utf-8")
    for path in (nb, script):
        status, report = _report(tmp_path, path, "--no-fix-search")
        verdicts = {e["name"]: e["verdict"] for e in report["layers"]}
        assert status == 0 and verdicts["linear_activation[relu]"] == verdicts["linear_activation[sigmoid]"] == "pass"
        assert f"SKIP dnn_utils: not beside {path.name}: gradlab lent its own sigmoid, relu" in capsys.readouterr().out


def test_a_courses_helper_module_beside_the_file_is_the_one_used(tmp_path: Path):
    mine = ("import numpy as np\n\n\ndef relu(Z):\n    return np.maximum(0, Z), Z\n\n\n"
            "def relu_backward(dA, cache):\n    return dA * (cache >= -1)\n\n\n"  # the learner's slip: a mask at -1
            "def sigmoid(Z):\n    return 1 / (1 + np.exp(-Z)), Z\n\n\n"
            "def sigmoid_backward(dA, cache):\n    s = 1 / (1 + np.exp(-cache))\n    return dA * s * (1 - s)\n")
    (tmp_path / "dnn_utils.py").write_text(mine, encoding="utf-8")
    nb = _notebook(tmp_path / "week4.ipynb", COURSE_IMPORTS, LINEAR_ACTIVATION)
    status, report = _report(tmp_path, nb, "--no-fix-search")
    verdicts = {e["name"]: e["verdict"] for e in report["layers"] if e["source"].endswith(".ipynb")}
    assert status == 1 and verdicts["linear_activation[relu]"] == "fail"
    assert verdicts["linear_activation[sigmoid]"] == "pass"


def test_a_notebook_read_again_by_a_fresh_process_reuses_its_module_file_rather_than_leaving_another(
        tmp_path: Path, monkeypatch):
    import tempfile

    from gradlab.conventions import notebooks
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np", AFFINE.format(bug=""))
    first = notebooks.module_file(nb)
    monkeypatch.setattr(notebooks, "_MODULE_FILES", {})  # as a new process starts
    assert notebooks.module_file(nb) == first
    assert len(list((tmp_path / "tmp").iterdir())) == 1 and first.read_text(encoding="utf-8").count("class Affine")


def test_a_cache_folder_others_may_write_to_is_not_used_for_the_code_gradlab_imports(tmp_path: Path, monkeypatch):
    import os
    import tempfile

    from gradlab.conventions import notebooks
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    shared = tmp_path / "tmp" / f"gradlab-notebooks-{os.getuid()}"
    shared.mkdir(parents=True)
    shared.chmod(0o777)
    nb = _notebook(tmp_path / "week2.ipynb", "import numpy as np", AFFINE.format(bug=""))
    out = notebooks.module_file(nb)
    assert shared not in out.parents and out.is_file()
