"""The column layout (samples as columns) is an adapter option: same checks, same bug codes, the user's words.

The layers are in `tests/columns/layers.py`, written for x of shape (features, N) as a column-style
course writes them; each correct one has one-bug twins marked `# BUG: <code>`.
"""

from __future__ import annotations

import importlib.util
import json
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from gradlab.cases.per_sample import MEAN, SUM, assert_batch_mean, batch_vs_samples
from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.discover import entry_for
from gradlab.conventions.layouts import ColumnsLayer
from gradlab.core.messages import explain
from gradlab.core.protocol import LayerSignatureError
from gradlab.grading.assignment import AssignmentError, load_assignment
from gradlab.grading.feedback import feedback_markdown
from gradlab.grading.grader import grade_submission
from gradlab.kinds import KINDS, build_case

LAYERS_FILE = Path(__file__).parent / "columns" / "layers.py"
EXAMPLES = 30


def _load():
    spec = importlib.util.spec_from_file_location("gradlab_test_column_layers", LAYERS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


L = _load()


def check(layer, backward=None, *, kind=None, weights="in_out", examples=EXAMPLES):
    return check_entry(entry_for(layer, backward, kind=kind, layout="columns", weights=weights), examples=examples)


# (correct layer, its one-bug twin, the twin's code, kind, weights)
PAIRS = [
    pytest.param(L.Affine, L.AffineBiasOverSamplesAxis0, "wrong-reduction", "affine", "out_in", id="affine-out_in"),
    pytest.param(L.AffineInOut, L.AffineInOutTransposedDW, "transposed", "affine", "in_out", id="affine-in_out"),
    pytest.param(L.Relu, L.ReluInPlace, "mutates-input", "relu", "in_out", id="relu"),
    pytest.param(L.Sigmoid, L.SigmoidSignFlip, "sign-flip", "sigmoid", "in_out", id="sigmoid"),
    pytest.param((L.tanh_forward, L.tanh_backward), (L.tanh_flipped_forward, L.tanh_flipped_backward), "sign-flip",
                 "tanh", "in_out", id="tanh-functions"),
    pytest.param(L.LeakyRelu, L.LeakyReluSlopeEverywhere, "misrouted", "leaky_relu", "in_out", id="leaky_relu"),
    pytest.param(L.Swish, L.SwishOnlySigmoid, "dropped-term", "swish", "in_out", id="swish"),
    pytest.param(L.Softmax, L.SoftmaxDiagonalOnly, "dropped-term", "softmax", "in_out", id="softmax"),
    pytest.param(L.Softmax, L.SoftmaxOverSamples, "couples-samples", "softmax", "in_out", id="softmax-over-samples"),
    pytest.param(L.SoftmaxWithLoss, L.SoftmaxWithLossNoMean, "missing-batch-mean", "softmax_with_loss", "in_out",
                 id="softmax_with_loss"),
    pytest.param(L.svm_loss, L.svm_loss_no_correct_class_term, "dropped-term", "svm_loss", "in_out", id="svm_loss"),
    pytest.param(L.MSELoss, L.MSELossWithoutHalf, "scaled", "mse_loss", "in_out", id="mse_loss"),
    pytest.param(L.BatchNormalization, L.BatchNormNoMeanPath, "dropped-term", "batchnorm", "in_out", id="batchnorm"),
    pytest.param(L.Dropout, L.DropoutForgetsScale, "scaled", "dropout", "in_out", id="dropout"),
]


def _check_any(layer, *, kind, weights):
    if isinstance(layer, tuple):
        return check(*layer, kind=kind, weights=weights)
    return check(layer, kind=kind, weights=weights)


@pytest.mark.parametrize("correct, twin, code, kind, weights", PAIRS)
def test_a_correct_column_layout_layer_passes(correct, twin, code, kind, weights):
    report = _check_any(correct, kind=kind, weights=weights)
    assert report.verdict == "pass", explain(report)


@pytest.mark.parametrize("correct, twin, code, kind, weights", PAIRS)
def test_its_one_bug_twin_fails_with_the_bug_s_code(correct, twin, code, kind, weights):
    report = _check_any(twin, kind=kind, weights=weights)
    assert report.verdict == "fail" and report.error is None
    assert report.bug_codes[0] == code, explain(report)


@pytest.mark.parametrize("layer, backward, weights", [
    (L.affine_forward, L.affine_backward, "out_in"),
    (L.Dense, None, "out_in"),
    (L.Dense, None, "in_out"),
    (L.softmax_loss, None, "in_out"),
    (L.batchnorm_forward, L.batchnorm_backward, "in_out"),
    (L.BatchNormFlatParams, None, "in_out"),
], ids=["affine-functions", "dense-own-weights-out_in", "dense-own-weights-in_out", "softmax_loss-indices",
        "batchnorm-functions", "batchnorm-flat-gamma"])
def test_other_published_spellings_of_column_layers_pass(layer, backward, weights):
    kind = "batchnorm" if layer is L.BatchNormFlatParams else None
    report = check(layer, backward, kind=kind, weights=weights)
    assert report.verdict == "pass", explain(report)


def test_a_softmax_loss_is_checked_with_one_hot_columns_and_with_index_labels():
    kind = KINDS["softmax_with_loss"]
    for labels, shape in (("onehot", (4, 3)), ("index", (3,))):
        case = build_case(kind, {"N": 3, "C": 4, "labels": labels, "seed": 1})
        seen = []
        layer = ColumnsLayer(lambda c: seen.append(c.t) or _Probe(), kind, case)
        layer.forward(case.x, case.t)
        assert seen[0].shape == shape
    report = check(L.SoftmaxWithLoss)
    assert report.verdict == "pass" and not report.warnings, explain(report)


class _Probe:
    params: dict = {}

    def forward(self, x, t=None):
        return np.array(0.0)

    def backward(self, dout):
        return None, {}


# ------------------------------------------------------------------ shapes that used to crash


def test_a_scalar_db_is_a_wrong_reduction_failure_not_a_crash():
    report = check(L.AffineScalarDb, kind="affine", weights="out_in")
    assert report.error is None and report.bug_codes[0] == "wrong-reduction"
    assert "single number" in report.failing.gradients[-1].diagnosis


def test_a_row_shaped_db_is_a_failure_with_its_code_in_the_user_s_shapes():
    report = check(L.AffineRowDb, kind="affine", weights="out_in")
    db = next(g for g in report.failing.gradients if g.name == "db")
    M = report.failing.spec["out"]
    assert report.bug_codes == ["transposed"]
    assert db.analytic_shape == (1, M) and db.shape == (M, 1), db.diagnosis
    assert f"shape (1, {M}) but should have ({M}, 1)" in db.diagnosis


@pytest.mark.parametrize("kind", ["conv", "max_pool", "embedding"])
def test_a_batch_first_kind_under_the_column_layout_gets_a_one_line_error(kind):
    report = check_entry(entry_for(L.Convolution, kind=kind, layout="columns"), examples=5)
    assert report.verdict == "fail" and report.examples == 0
    assert "column layout is for 2-D data" in report.error and "\n" not in report.error
    case = build_case(KINDS[kind], {"N": 2, **KINDS[kind].batch_spec("class"), "seed": 0})
    with pytest.raises(LayerSignatureError, match="column layout is for 2-D data"):
        ColumnsLayer(lambda c: pytest.fail("the layer must not be built"), KINDS[kind], case)


def test_conv_in_a_file_checked_with_columns_is_one_line_and_the_other_layers_are_checked(tmp_path, capsys):
    src = tmp_path / "mixed.py"
    src.write_text(textwrap.dedent(f"""
        import numpy as np
        {_source_of('Relu')}
        {_source_of('Convolution')}
    """))
    out = tmp_path / "out.json"
    assert main(["check", str(src), "--layout", "columns", "--examples", "10", "--json", str(out)]) == 1
    text = capsys.readouterr().out
    assert "Traceback" not in text
    layers = {layer["name"]: layer for layer in json.loads(out.read_text())["layers"]}
    assert layers["Relu"]["verdict"] == "pass"
    assert "column layout is for 2-D data" in layers["Convolution"]["error"]


def _source_of(name: str) -> str:
    """One class of the layers file, as source, indented for the dedent of the file it goes into."""
    lines = LAYERS_FILE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith((f"class {name}:", f"class {name}(")))
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()), len(lines))
    return "\n        ".join(lines[start:end])


def test_a_column_layer_that_crashes_gradlab_does_not_lose_the_other_layers_results(tmp_path, capsys):
    src = tmp_path / "layers.py"
    src.write_text(textwrap.dedent(f"""
        import numpy as np
        {_source_of('Affine')}


        class Sigmoid:
            def forward(self, x):
                return 1 / (1 + np.exp(-x))

            def backward(self, dout):
                return np.full(dout.shape, "oops", dtype=object)  # not numbers: gradlab cannot compare it


        # gradlab: kind=affine
        class AffineScalarDb(Affine):
            def backward(self, dZ):
                dx = super().backward(dZ)
                self.db = dZ.sum()
                return dx


        {_source_of('Relu')}
    """))
    out = tmp_path / "out.json"
    status = main(["check", str(src), "--layout", "columns", "--weights", "out_in", "--examples", "10",
                   "--json", str(out)])
    assert status == 1 and "Traceback" not in capsys.readouterr().out
    layers = {layer["name"]: layer for layer in json.loads(out.read_text())["layers"]}
    assert set(layers) == {"Affine", "Sigmoid", "AffineScalarDb", "Relu"}
    assert layers["Affine"]["verdict"] == layers["Relu"]["verdict"] == "pass"
    assert layers["AffineScalarDb"]["bug_codes"][0] == "wrong-reduction"
    assert layers["Sigmoid"]["verdict"] == "fail"


# ------------------------------------------------------------------ messages in the user's layout


def test_a_wrong_reduction_message_names_the_user_s_axis_and_shapes():
    report = check(L.AffineBiasOverSamplesAxis0, kind="affine", weights="out_in")
    text = explain(report)
    db = next(g for g in report.failing.gradients if g.name == "db")
    M = report.failing.spec["out"]
    assert "summed over axes (0,)" in db.diagnosis, text  # the user's axis 0 (gradlab's own is axis 1)
    assert f"should have ({M}, 1)" in db.diagnosis, text
    assert "db = dout.sum(axis=1, keepdims=True)" in text and "axis=0" not in text


def test_a_per_sample_bias_is_told_to_sum_over_the_user_s_sample_axis():
    report = check(L.AffinePerSampleDb, kind="affine", weights="out_in")
    db = next(g for g in report.failing.gradients if g.name == "db")
    assert report.bug_codes == ["wrong-reduction"]
    assert "sum it over axis 1, keepdims=True" in db.diagnosis


def test_a_transposed_weight_gradient_is_described_in_the_user_s_orientation():
    report = check(L.AffineTransposedDW, kind="affine", weights="out_in")
    dW = next(g for g in report.failing.gradients if g.name == "dW")
    D, M = report.failing.spec["in_shape"][0], report.failing.spec["out"]
    assert f"dW has shape ({D}, {M}) but should have ({M}, {D})" in dW.diagnosis  # W is (out, in) here
    assert "dW = dout @ x.T" in explain(report)


def test_the_result_s_arrays_shapes_and_worst_element_are_in_the_user_s_orientation():
    report = check(L.SigmoidSignFlip, kind="sigmoid")
    dx = report.failing.gradients[0]
    D, N = report.failing.spec["shape"][0], report.failing.spec["N"]
    assert dx.shape == dx.analytic_shape == dx.analytic.shape == dx.numeric.shape == (D, N)
    assert dx.analytic[dx.worst_index] == dx.analytic_value and dx.numeric[dx.worst_index] == dx.numeric_value


# ------------------------------------------------------------------ batch versus per-sample


def test_batch_vs_samples_runs_a_column_layer_in_its_layout():
    report = batch_vs_samples(L.Affine, layout="columns", weights="out_in")
    assert report.error is None and report.consistent
    assert {g.name: g.convention for g in report.gradients} == {"dx": SUM, "dW": SUM, "db": SUM}
    assert any("each column" in s for s in report.sentences)


def test_a_column_loss_on_top_makes_the_column_affine_s_gradients_means():
    report = batch_vs_samples(L.Affine, layout="columns", weights="out_in", loss=L.SoftmaxWithLoss)
    assert report.error is None
    assert {g.name: g.convention for g in report.gradients} == {"dx": MEAN, "dW": MEAN, "db": MEAN}


def test_assert_batch_mean_takes_the_layout_and_catches_a_missing_mean():
    assert_batch_mean(L.SoftmaxWithLoss, layout="columns")
    with pytest.raises(AssertionError, match="not the mean"):
        assert_batch_mean(L.SoftmaxWithLossNoMean, kind="softmax_with_loss", layout="columns")


def test_gradlab_batch_takes_layout_columns(tmp_path, capsys):
    out = tmp_path / "batch.json"
    status = main(["batch", str(LAYERS_FILE), "--layout", "columns", "--weights", "out_in", "--json", str(out)])
    assert status == 1  # the twins and the convolution
    doc = json.loads(out.read_text())
    layers = {r["layer"]: r for r in doc["layers"]}
    assert layers["Affine"]["consistent"] and layers["SoftmaxWithLoss"]["consistent"]
    assert not layers["SoftmaxWithLossNoMean"]["consistent"]
    assert "column layout is for 2-D data" in layers["Convolution"]["error"]
    assert "Traceback" not in capsys.readouterr().out


def test_gradlab_batch_without_a_path_refuses_the_column_layout(capsys):
    assert main(["batch", "--layout", "columns"]) == 2
    assert "give a PATH" in capsys.readouterr().err


# ------------------------------------------------------------------ grading


COLUMNS_ASSIGNMENT = """
name = "columns"
convention = "class"
layout = "columns"
weight_layout = "out_in"
seed = 3
examples = 6
[[layers]]
name = "Affine"
points = 10
[[layers]]
name = "Relu"
points = 5
[[layers]]
name = "SoftmaxWithLoss"
points = 10
[[layers]]
name = "BatchNormalization"
points = 10
"""


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    src = tmp_path / "student.py"
    src.write_text("import numpy as np\n\n" + "\n\n".join(
        textwrap.dedent("        " + _source_of(name)) for name in
        ("Affine", "Relu", "SoftmaxWithLoss", "BatchNormalization")))
    return src


def test_an_assignment_with_layout_columns_grades_column_layers_in_full(tmp_path, submission):
    toml = tmp_path / "columns.toml"
    toml.write_text(COLUMNS_ASSIGNMENT)
    grade = grade_submission(submission, load_assignment(toml))
    assert grade.score == grade.max_score == 35, feedback_markdown(grade)


def test_a_graded_wrong_reduction_is_explained_in_the_student_s_axes(tmp_path, submission):
    toml = tmp_path / "columns.toml"
    toml.write_text(COLUMNS_ASSIGNMENT)
    submission.write_text(submission.read_text().replace("self.db = dZ.sum(axis=1, keepdims=True)",
                                                         "self.db = dZ.sum(axis=0)"))
    grade = grade_submission(submission, load_assignment(toml))
    affine = next(layer for layer in grade.layers if layer.required.name == "Affine")
    assert affine.bug_codes == ["wrong-reduction"]
    text = feedback_markdown(grade)
    assert "summed over axes (0,)" in text and "db = dout.sum(axis=1, keepdims=True)" in text


def test_grade_s_layout_option_overrides_the_assignment(tmp_path, submission):
    toml = tmp_path / "rows.toml"
    toml.write_text(COLUMNS_ASSIGNMENT.replace('layout = "columns"\nweight_layout = "out_in"\n', ""))
    results = tmp_path / "results.json"
    assert main(["grade", str(submission), "--assignment", str(toml), "--results", str(results)]) == 0
    assert json.loads(results.read_text())["score"] < 35  # column layers graded as rows lose points
    assert main(["grade", str(submission), "--assignment", str(toml), "--layout", "columns", "--weights", "out_in",
                 "--results", str(results)]) == 0
    assert json.loads(results.read_text())["score"] == 35


def test_a_column_assignment_grades_convolution_batch_first_and_says_so():
    assignment = load_assignment("classes")
    conv_only = replace(assignment, layers=tuple(r for r in assignment.layers if r.kind.name == "conv"),
                        layout="columns")
    grade = grade_submission(Path(__file__).parent.parent / "reference" / "classes.py", conv_only)
    assert grade.score == grade.max_score > 0
    assert "graded batch-first" in grade.layers[0].note


@pytest.mark.parametrize("key, value", [("layout", '"cols"'), ("weight_layout", '"transposed"')])
def test_a_bad_layout_in_an_assignment_names_the_key_and_the_fix(tmp_path, key, value):
    toml = tmp_path / "bad.toml"
    toml.write_text(f"{key} = {value}\n" + COLUMNS_ASSIGNMENT.replace('layout = "columns"\n', "")
                    .replace('weight_layout = "out_in"\n', ""))
    with pytest.raises(AssignmentError, match=f"{key} must be one of"):
        load_assignment(toml)


# ------------------------------------------------------------------ the options themselves


def test_the_same_affine_checked_in_the_row_layout_fails():
    assert check_entry(entry_for(L.Affine, layout="rows"), examples=10).verdict == "fail"


def test_the_same_affine_without_a_layout_is_found_to_take_samples_as_columns():
    report = check_entry(entry_for(L.Affine), examples=10)
    assert report.verdict == "pass" and report.detected_layout is not None


@pytest.mark.parametrize("kwargs", [{"layout": "cols"}, {"layout": "columns", "weights": "transposed"}],
                         ids=["unknown-layout", "unknown-weights"])
def test_a_bad_layout_option_says_what_to_pass(kwargs):
    with pytest.raises(ValueError, match="use one of"):
        entry_for(L.Affine, **kwargs)
