"""Conventions of published code that session 30's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach14/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main

HERE = Path(__file__).parent / "reach14"


def _verdicts(path: Path) -> tuple[dict[str, tuple[str, list[str]]], list[tuple[str, str]]]:
    outcome = check_paths([path], examples=6, seed=0)
    assert outcome.errors == []
    return {r.name: (r.verdict, r.bug_codes) for r in outcome.reports}, outcome.skipped


@pytest.mark.parametrize(("folder", "right", "buggy"), [
    # a plotting library and a helper module neither installed nor uploaded: the whole file was an import error
    ("missing_imports", {"Relu": "pass", "Tanh": "pass"}, {"Relu": ["misrouted"], "Tanh": ["sign-flip"]}),
    # Dense(units, activation) with set_param(W, b), Linear(n_out) with set_weights([W, b]): set aside as
    # parameter-free namesakes of the affine kind ('takes and keeps no array')
    ("handed_weights", {"Dense": "warn", "Linear": "warn"}, {"Dense": ["extra-batch-mean"], "Linear": ["transposed"]}),
    # Keras' Conv2D(filters, kernel_size, input_shape, stride, pad): `filters` was read as W's array (set aside)
    ("keras_conv", {"Conv2D": "warn"}, {"Conv2D": ["extra-batch-mean"]}),
    # costs called as cost(x, t) with delta(dout=1) for the gradient, named Sigmoid_cross_entropy (on logits) and
    # Sum_squared_error: no layer recognised
    ("delta_losses", {"Sigmoid_cross_entropy": "pass", "Softmax_cross_entropy": "warn", "Sum_squared_error": "pass"},
     {"Sigmoid_cross_entropy": ["sign-flip"], "Softmax_cross_entropy": ["missing-batch-mean"],
      "Sum_squared_error": ["scaled"]}),
    # losses returning one loss per element or per sample, averaged by the training loop: FAIL crashed ('a loss
    # layer's forward must return a scalar'); a backward() with no upstream gradient is the gradient of their sum
    ("unreduced_loss", {"BCE": "warn", "MSE": "warn"}, {"BCE": ["sign-flip"], "MSE": ["extra-batch-mean"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_convention_found_in_published_code_passes_its_right_layers_and_fails_its_buggy_twin(folder, right, buggy):
    assert {k: v for k, (v, _) in _verdicts(HERE / folder)[0].items()} == right
    found = _verdicts(HERE / f"{folder}_buggy")[0]
    assert {k: codes[:1] for k, (v, codes) in found.items() if v == "fail"} == buggy


def test_a_layer_that_calls_a_module_missing_here_is_set_aside_and_the_missing_modules_are_named_once():
    _, skipped = _verdicts(HERE / "missing_imports")
    reasons = dict(skipped)
    assert "plot_helpers_not_uploaded is missing" in reasons["Sigmoid"]
    stood_in = reasons["seaborn_not_installed_here, plot_helpers_not_uploaded"]
    assert stood_in.startswith("imported by layers.py (lines 3, 4) but neither installed nor found next to the file")
    assert stood_in.endswith("install them, or run gradlab on the file inside the project that holds them")


def test_a_star_import_of_a_missing_package_stays_the_files_error_that_says_where_to_run_from(capsys):
    assert main(["check", str(HERE / "star_missing"), "--no-fix-search"]) != 0
    out = capsys.readouterr().out
    assert "imports 'course_lib_not_here' (line 3)" in out and "install it, or run gradlab" in out
    assert "Sigmoid" not in out.split("ERROR", 1)[0]


def test_modules_a_local_helper_imports_are_named_with_the_helper_that_imports_them(tmp_path, capsys):
    (tmp_path / "report_utils.py").write_text("import pandas_not_installed_here as pd\n\n\n"
                                              "def table(rows):\n    return pd.DataFrame(rows)\n")
    (tmp_path / "layers.py").write_text((HERE / "missing_imports" / "layers.py").read_text()
                                        .replace("import seaborn_not_installed_here as sns\n", "import report_utils\n"))
    assert main(["check", str(tmp_path / "layers.py"), "--no-fix-search", "--json", str(tmp_path / "r.json")]) != 2
    out = capsys.readouterr().out
    assert "pandas_not_installed_here by report_utils.py, line 1, which layers.py imports" in out
    assert "plot_helpers_not_uploaded by layers.py, line 4" in out
    assert {e["name"]: e["verdict"] for e in json.loads((tmp_path / "r.json").read_text())["layers"]} == \
        {"Relu": "pass", "Tanh": "pass"}


def test_modules_only_a_local_helper_imports_are_named_with_that_helper(tmp_path, capsys):
    (tmp_path / "report_utils.py").write_text("import pandas_not_installed_here as pd\n")
    (tmp_path / "layers.py").write_text("import numpy as np\nimport report_utils\n\n\n"
                                        "def relu_forward(x):\n    return np.maximum(x, 0), x\n\n\n"
                                        "def relu_backward(dout, x):\n    return dout * (x > 0)\n")
    assert main(["check", str(tmp_path / "layers.py"), "--no-fix-search"]) == 0
    assert ("SKIP pandas_not_installed_here: neither installed nor found next to the file or in the folders above it "
            "(imported: pandas_not_installed_here by report_utils.py, line 1, which layers.py imports)") \
        in capsys.readouterr().out


def test_a_graded_file_importing_a_library_the_grader_lacks_is_graded_and_the_feedback_says_what_was_missing():
    from gradlab.grading.assignment import load_assignment
    from gradlab.grading.grader import grade_submission

    grade = grade_submission(HERE / "missing_imports" / "layers.py", load_assignment("classes"))
    assert any("seaborn_not_installed_here, plot_helpers_not_uploaded: imported by layers.py" in n for n in grade.notes)
    earned = {layer.required.name: layer.score for layer in grade.layers}
    assert earned["Relu"] > 0 and earned["Tanh"] > 0 and earned["Sigmoid"] == 0, earned
