"""deeplearning.ai's function style is checked as the course writes it, and its bugs are named.

`tests/deeplearning_ai/` is a folder in the course's conventions (written for these tests): samples as
columns, dW and db means over the m examples, `linear_activation_*` taking the activation's name as a
string, activation helpers `relu(Z) -> (A, Z)` next to `relu_backward(dA, cache)`, and a testCases.py
whose data makers are named like layers. Every buggy twin below is one edit of the correct file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.conventions.discover import discover

FOLDER = Path(__file__).parent / "deeplearning_ai"
STEPS = FOLDER / "dnn_steps.py"
EXAMPLES = 12


def _verdicts(path: Path) -> dict[str, tuple[str, list[str]]]:
    outcome = check_paths([path], examples=EXAMPLES, seed=0)
    assert not outcome.errors, outcome.errors
    return {r.name: (r.verdict, r.bug_codes) for r in outcome.reports}


def _twin(tmp_path: Path, old: str, new: str) -> Path:
    source = STEPS.read_text()
    assert source.count(old) == 1, f"the edit must hit one line of {STEPS.name}: {old!r}"
    twin = tmp_path / STEPS.name
    twin.write_text(source.replace(old, new))
    return twin


def test_each_activation_the_functions_handle_is_a_layer_of_its_own_and_the_course_folder_passes():
    verdicts = _verdicts(FOLDER)
    assert verdicts == {name: ("pass", []) for name in (
        "linear", "linear_activation[relu]", "linear_activation[sigmoid]", "linear_activation[tanh]",
        "relu", "sigmoid", "tanh")}


def test_the_course_test_data_makers_are_skipped_as_helpers_not_failed_as_layers():
    skipped = dict(s for found in discover([FOLDER / "testCases.py"]) for s in found.skipped)
    assert "takes no input: a helper that makes test data" in skipped["linear_test_case"]
    assert not [e.name for found in discover([FOLDER / "testCases.py"]) for e in found.entries]


def test_the_course_public_tests_are_skipped_as_tests_not_failed_as_layers():
    found = discover([FOLDER / "public_tests.py"])[0]
    assert found.error is None and not found.entries
    assert dict(found.skipped)["linear_test"] == "linear_forward_test is a test of a layer, not a layer"


def test_an_activation_only_one_of_the_two_functions_handles_is_skipped_with_which_one(tmp_path):
    twin = _twin(tmp_path, '''    elif activation == "tanh":
        dZ = tanh_backward(dA, activation_cache)
''', "")
    found = discover([twin])[0]
    assert "linear_activation[tanh]" not in [e.name for e in found.entries]
    assert dict(found.skipped)["linear_activation[tanh]"] == (
        "linear_activation_forward handles activation 'tanh' and linear_activation_backward does not: not checked")


@pytest.mark.parametrize("old, new, failing, code", [
    # the course's own 1/m: forgotten, and applied twice
    ("    dW = dZ @ A_prev.T / m\n", "    dW = dZ @ A_prev.T\n", "linear", "missing-batch-mean"),
    ("    db = dZ.sum(axis=1, keepdims=True) / m\n", "    db = dZ.sum(axis=1, keepdims=True) / m / m\n", "linear",
     "extra-batch-mean"),
    # dA_prev carries no 1/m in this course
    ("    dA_prev = W.T @ dZ\n", "    dA_prev = W.T @ dZ / m\n", "linear", "extra-batch-mean"),
    ("    dA_prev = W.T @ dZ\n", "    dA_prev = -W.T @ dZ\n", "linear", "sign-flip"),
    # the cache is Z: a sigmoid_backward that takes it for A evaluates the derivative at the wrong array
    ("    s = 1 / (1 + np.exp(-cache))\n", "    s = cache\n", "sigmoid", "wrong-input"),
    ("    return dA * (1 - np.tanh(cache) ** 2)\n", "    return dA * (1 - np.tanh(cache) ** 2) * 2\n", "tanh",
     "scaled"),
])
def test_a_one_edit_bug_fails_with_its_code_in_the_helper_and_in_every_layer_built_on_it(tmp_path, old, new,
                                                                                          failing, code):
    verdicts = _verdicts(_twin(tmp_path, old, new))
    assert verdicts[failing] == ("fail", [code])
    users = {"linear": ["linear_activation[relu]", "linear_activation[sigmoid]", "linear_activation[tanh]"],
             "sigmoid": ["linear_activation[sigmoid]"], "tanh": ["linear_activation[tanh]"]}[failing]
    for name in users:
        assert verdicts[name][0] == "fail", name
    untouched = set(verdicts) - {failing, *users}
    assert all(verdicts[n] == ("pass", []) for n in untouched), verdicts


def test_a_notebook_exported_as_py_imports_with_its_magics_doing_nothing(tmp_path):
    # what jupyter nbconvert writes for %matplotlib inline and %load_ext autoreload
    export = tmp_path / "building_your_deep_nn.py"
    export.write_text("get_ipython().run_line_magic('matplotlib', 'inline')\n"
                      "get_ipython().run_line_magic('load_ext', 'autoreload')\n" + STEPS.read_text())
    outcome = check_paths([export], examples=EXAMPLES)
    assert not outcome.errors
    assert {r.name: r.verdict for r in outcome.reports}["linear_activation[relu]"] == "pass"
    import builtins

    assert not hasattr(builtins, "get_ipython")  # taken back after the import


def test_the_hint_for_a_forgotten_1_over_m_puts_it_on_dw_and_db_as_the_course_does(tmp_path):
    twin = _twin(tmp_path, "    dW = dZ @ A_prev.T / m\n", "    dW = dZ @ A_prev.T\n")
    report = next(r for r in check_paths([twin], examples=EXAMPLES).reports if r.name == "linear")
    assert report.bug_codes == ["missing-batch-mean"]
    assert "dW = dZ @ A_prev.T / m" in report.hints["missing-batch-mean"]


def test_a_branch_that_calls_another_activations_backward_fails_that_activation_only(tmp_path):
    twin = _twin(tmp_path, "        dZ = sigmoid_backward(dA, activation_cache)\n",
                 "        dZ = relu_backward(dA, activation_cache)\n")
    verdicts = _verdicts(twin)
    assert verdicts["linear_activation[sigmoid]"][0] == "fail"
    assert verdicts["linear_activation[relu]"] == verdicts["linear_activation[tanh]"] == ("pass", [])


def test_a_helper_returning_the_array_alone_is_not_taken_for_the_courses_relu(tmp_path):
    # the textbook's functions.py: relu(x) returns the array; a relu_backward next to it is not its pair
    twin = _twin(tmp_path, "    return np.maximum(Z, 0), Z\n", "    return np.maximum(Z, 0)\n")
    found = discover([twin])[0]
    assert "relu" not in [e.name for e in found.entries]
    assert dict(found.skipped)["relu_backward"] == "a backward function with no matching forward"


def test_a_forgotten_1_over_m_in_linear_backward_gets_the_same_verified_fix_under_each_activation(tmp_path):
    from gradlab.fixes.search import find_fix

    twin = _twin(tmp_path, "    dW = dZ @ A_prev.T / m\n", "    dW = dZ @ A_prev.T\n")
    outcome = check_paths([twin], examples=EXAMPLES, seed=0)
    entries = {e.name: e for found in discover([twin]) for e in found.entries}
    diffs = {}
    for report in outcome.reports:
        if report.name.startswith("linear_activation["):
            fix = find_fix(entries[report.name], report, examples=EXAMPLES, seed=0)
            assert fix is not None and fix.status == "verified", (report.name, fix)
            diffs[report.name] = [line for line in fix.diff.splitlines() if line[:1] in "+-" and line[:3] not in
                                  ("---", "+++")]
    assert set(diffs) == {"linear_activation[relu]", "linear_activation[sigmoid]", "linear_activation[tanh]"}
    assert all(d == ["-    dW = dZ @ A_prev.T", "+    dW = dZ @ A_prev.T / m"] for d in diffs.values()), diffs
