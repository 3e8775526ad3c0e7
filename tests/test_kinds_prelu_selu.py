"""PReLU (a learned slope: one number, one per feature, one per channel) and SELU (fixed constants) as kinds:
the zoo's correct layers pass and its buggy ones fail with their intended code and a verified fix; the slope's
form is found by probing the layer, in learners' spellings too; the grader accepts the forwards it should."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradlab.cases.runner import _what_it_takes, check_entry, run_case
from gradlab.conventions.discover import discover
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS
from gradlab.fixes import find_fix
from gradlab.grading.forward_reference import check_forward
from gradlab.kinds import KINDS, build_case, kind_for_class, kind_for_stem

ZOO = {name: e for name, e in load_reference().items() if e.kind in ("prelu", "selu")}
CORRECT = sorted(n for n, e in ZOO.items() if not e.is_buggy)
BUGGY = sorted(n for n, e in ZOO.items() if e.is_buggy)


def _entries(tmp_path: Path, source: str, name: str = "layers.py") -> dict:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return {e.name: e for f in discover([path]) for e in f.entries}


def test_the_zoo_holds_correct_and_buggy_layers_of_both_kinds_in_both_conventions():
    for kind in ("prelu", "selu"):
        assert {ZOO[n].convention for n in CORRECT if ZOO[n].kind == kind} == {"class", "function"}
        assert any(ZOO[n].kind == kind for n in BUGGY)


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_prelu_or_selu_passes(name):
    report = check_entry(ZOO[name], examples=20, seed=2)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_prelu_or_selu_fails_with_its_intended_code_first_and_gets_a_verified_fix(name):
    entry = ZOO[name]
    report = check_entry(entry, examples=20, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == entry.bug, report.bug_codes
    fix = find_fix(entry, report, examples=20, seed=0)
    assert fix is not None and fix.status == "verified", fix
    assert "# BUG" in fix.diff and len(fix.lines) == 1


@pytest.mark.parametrize(("name", "form"), [("PReLUOneSlope", "one"), ("PReLU", "channel"), ("prelu", "feature")])
def test_a_prelu_is_checked_in_the_form_its_slope_takes(name, form):
    _, overrides, notes = _what_it_takes(ZOO[name], KINDS["prelu"])
    assert overrides.get("alpha") == form and not notes


def test_a_one_slope_prelu_checked_with_a_slope_per_feature_would_fail_so_the_probe_decides():
    """The probe is what passes it: given one slope per feature, its dalpha is one number."""
    result = run_case(ZOO["PReLUOneSlope"], {"N": 3, **KINDS["prelu"].batch_spec("class"), "seed": 1, "scale": 1.0})
    assert result.failed


def test_a_per_feature_prelu_that_keeps_dalpha_per_sample_is_checked_per_feature_and_named():
    _, overrides, _ = _what_it_takes(ZOO["PReLUDalphaPerSample"], KINDS["prelu"])
    assert "alpha" not in overrides  # no form runs: the kind's own draws (a slope per feature) show the bug
    assert check_entry(ZOO["PReLUDalphaPerSample"], examples=10).bug_codes == ["wrong-reduction"]


LEARNERS = '''
import numpy as np


class PReLU:
    """builds its own slope as a Python float"""
    def __init__(self):
        self.alpha = 0.2

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        self.dalpha = np.sum(dout * np.minimum(self.x, 0))
        return dout * np.where(self.x > 0, 1.0, self.alpha)


class PReLULayer:
    """sized by its constructor, one slope per feature"""
    def __init__(self, size, initial_slope=0.1):
        self.slope = np.full(size, initial_slope)

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.slope * x)

    def backward(self, dout):
        self.dslope = (dout * np.minimum(self.x, 0)).sum(axis=0)
        return dout * np.where(self.x > 0, 1.0, self.slope)


class ParametricReLU:
    def __init__(self, alpha):
        self.params = {"alpha": alpha}
        self.grads = {}

    def forward(self, x):
        self.x = x
        return np.maximum(x, 0) + self.params["alpha"] * np.minimum(x, 0)

    def backward(self, dout):
        self.grads["alpha"] = np.sum(dout * np.minimum(self.x, 0), axis=0)
        return dout * np.where(self.x > 0, 1.0, self.params["alpha"])


class PRelu:
    """updates its one slope inside backward"""
    def __init__(self, a=0.25):
        self.a = a

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.a * x)

    def backward(self, grad, learning_rate):
        dx = grad * np.where(self.x > 0, 1.0, self.a)
        self.a = self.a - learning_rate * np.sum(grad * np.minimum(self.x, 0))
        return dx


# gradlab: kind=prelu
class PReluUnmasked:
    """updates its one slope inside backward, from x where min(x, 0) belongs"""
    def __init__(self, a=0.25):
        self.a = a

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.a * x)

    def backward(self, grad, learning_rate):
        dx = grad * np.where(self.x > 0, 1.0, self.a)
        self.a = self.a - learning_rate * np.sum(grad * self.x)
        return dx
'''


@pytest.mark.parametrize("name", ["PReLU", "PReLULayer", "ParametricReLU", "PRelu"])
def test_a_learners_prelu_passes_in_its_own_spelling(tmp_path, name):
    entries = _entries(tmp_path, LEARNERS)
    assert entries[name].kind == "prelu"
    report = check_entry(entries[name], examples=15)
    assert report.verdict == PASS, (report.bug_codes, report.error)


def test_a_learners_self_updating_prelu_whose_slope_reads_x_unmasked_is_named_wrong_input(tmp_path):
    report = check_entry(_entries(tmp_path, LEARNERS)["PReluUnmasked"], examples=15)
    assert report.bug_codes == ["wrong-input"], report.bug_codes


SLOPE_SLIP = '''
import numpy as np


class PReLU:
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        self.out = np.where(x > 0, x, self.alpha * x)
        return self.out

    def backward(self, dout):
        self.dalpha = np.sum({written}, axis={axis})
        return dout * np.where(self.x > 0, 1.0, self.alpha)
'''


@pytest.mark.parametrize("axis", ["None", "0"], ids=["one slope", "a slope per feature"])
@pytest.mark.parametrize(("written", "code"), [
    ("dout * np.minimum(self.x, 0)", None),
    ("dout * self.x", "wrong-input"),
    ("dout * self.out", "wrong-input"),
    ("dout * np.minimum(self.out, 0)", "wrong-input"),
    ("dout * np.maximum(self.x, 0)", "misrouted"),
    ("2 * dout * np.minimum(self.x, 0)", "scaled"),  # a near miss: a factor, none of the slips
])
def test_a_slope_gradient_written_with_the_wrong_array_or_side_is_named_for_it(tmp_path, written, code, axis):
    """With one slope, dalpha is one number, which the general diagnosis can only read as a factor."""
    entry = _entries(tmp_path, SLOPE_SLIP.format(written=written, axis=axis))["PReLU"]
    report = check_entry(entry, examples=15)
    assert report.bug_codes == ([code] if code else []), report.bug_codes
    if code:
        assert _what_it_takes(entry, KINDS["prelu"])[1]["alpha"] == ("one" if axis == "None" else "feature")


LIBRARY_SELU = '''
import numpy as np


class SELU():
    def __init__(self):
        self.alpha = 1.6732632423543772848170429916717
        self.scale = 1.0507009873554804934193349852946

    def __call__(self, x):
        return self.scale * np.where(x >= 0.0, x, self.alpha * (np.exp(x) - 1))

    def gradient(self, x):
        return self.scale * np.where(x >= 0.0, 1, self.alpha * np.exp(x))


class Selu():
    """its gradient forgets the scale"""
    def __init__(self):
        self.alpha, self.scale = 1.6733, 1.0507

    def __call__(self, x):
        return self.scale * np.where(x >= 0.0, x, self.alpha * (np.exp(x) - 1))

    def gradient(self, x):
        return np.where(x >= 0.0, 1, self.alpha * np.exp(x))
'''


def test_an_activation_object_selu_passes_and_its_twin_without_the_scale_is_scaled(tmp_path):
    entries = _entries(tmp_path, LIBRARY_SELU, "activation_functions.py")
    assert check_entry(entries["SELU"], examples=15).verdict == PASS
    assert check_entry(entries["Selu"], examples=15).bug_codes == ["scaled"]


def test_the_names_in_the_wild_find_their_kinds():
    for name in ("PReLU", "PRelu", "Prelu", "ParametricReLU", "PReLULayer"):
        assert kind_for_class(name) is KINDS["prelu"], name
    for name in ("SELU", "Selu", "SELULayer"):
        assert kind_for_class(name) is KINDS["selu"], name
    assert kind_for_stem("prelu") is KINDS["prelu"] and kind_for_stem("selu") is KINDS["selu"]
    assert kind_for_class("ReLU") is KINDS["relu"] and kind_for_class("ELU") is KINDS["elu"]


def _selu(x, alpha, scale):
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def test_the_grader_accepts_selu_with_its_constants_to_four_decimals_and_refuses_an_elu():
    kind = KINDS["selu"]
    case = build_case(kind, {"N": 4, "shape": (5,), "seed": 3, "scale": 1.0})
    assert check_forward(kind, case, _selu(case.x, 1.6733, 1.0507)).ok
    assert check_forward(kind, case, _selu(case.x, 1.6732632423543772, 1.0507009873554805)).ok
    assert not check_forward(kind, case, _selu(case.x, 1.0, 1.0)).ok  # an ELU
    assert not check_forward(kind, case, _selu(case.x, 1.6733, 1.0)).ok  # the scale forgotten


@pytest.mark.parametrize("form", KINDS["prelu"].parameter_forms.forms, ids=lambda f: f["alpha"])
def test_the_grader_accepts_the_prelu_forward_for_the_cases_slope_and_refuses_a_leaky_relu(form):
    kind = KINDS["prelu"]
    case = build_case(kind, {"N": 3, **kind.batch_spec("class"), **form, "seed": 4, "scale": 1.0})
    alpha = case.params["alpha"]
    shaped = alpha.reshape(1, -1, 1, 1) if case.x.ndim == 4 else alpha
    assert check_forward(kind, case, np.where(case.x > 0, case.x, shaped * case.x)).ok
    assert not check_forward(kind, case, np.where(case.x > 0, case.x, 0.01 * case.x)).ok


ASSIGNMENT = '''
name = "prelu"
title = "A learned slope"
convention = "class"
seed = 1
examples = 8
sandbox = "process"

[[layers]]
name = "PReLU"
points = 10
'''

ONE_SLOPE_SUBMISSION = '''
import numpy as np


class PReLU:
    def __init__(self, alpha=0.25):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        self.dalpha = np.sum(dout * np.minimum(self.x, 0))
        return dout * np.where(self.x > 0, 1.0, self.alpha)
'''


def _grade(tmp_path: Path, source: str):
    from gradlab.grading.assignment import load_assignment
    from gradlab.grading.grader import grade_submission

    (tmp_path / "prelu.toml").write_text(ASSIGNMENT)
    (tmp_path / "student.py").write_text(source)
    return grade_submission(tmp_path / "student.py", load_assignment(tmp_path / "prelu.toml"))


def test_the_grader_grades_a_one_slope_prelu_with_one_slope_and_gives_full_marks(tmp_path):
    grade = _grade(tmp_path, ONE_SLOPE_SUBMISSION)
    assert grade.score == grade.max_score == 10


def test_without_the_slope_form_probe_the_grader_would_take_dalpha_points_from_a_right_one_slope_prelu(
        tmp_path, monkeypatch):
    import gradlab.grading.grader as grader

    monkeypatch.setattr(grader, "parameter_form", lambda *args, **kwargs: {})
    grade = _grade(tmp_path, ONE_SLOPE_SUBMISSION)
    assert [p.component for layer in grade.layers for p in layer.parts if not p.passed] == ["dalpha"]


def test_the_grader_takes_dalpha_points_from_a_one_slope_prelu_that_reads_x_unmasked(tmp_path):
    grade = _grade(tmp_path, ONE_SLOPE_SUBMISSION.replace("np.minimum(self.x, 0))", "self.x)"))
    assert [p.component for layer in grade.layers for p in layer.parts if not p.passed] == ["dalpha"]


COLUMNS = '''
import numpy as np


class PReLU:
    """samples as columns: x is (D, N), one slope per feature kept as (D, 1)"""
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.alpha * x)

    def backward(self, dout):
        self.dalpha = np.sum(dout * np.minimum(self.x, 0), axis={axis}, keepdims=True)
        return dout * np.where(self.x > 0, 1.0, self.alpha)
'''


@pytest.mark.parametrize(("axis", "verdict"), [(1, PASS), (0, FAIL)])
def test_a_prelu_written_with_samples_as_columns_is_checked_in_that_layout(tmp_path, axis, verdict):
    from dataclasses import replace

    entry = _entries(tmp_path, COLUMNS.format(axis=axis))["PReLU"]
    report = check_entry(replace(entry, options={**entry.options, "layout": "columns"}), examples=15)
    assert report.verdict == verdict, report.bug_codes


@pytest.mark.parametrize("name", ["PReLUOneSlope", "PReLU", "prelu"])
def test_the_batch_versus_sample_run_gives_a_prelu_its_own_slope_form_and_finds_dalpha_a_sum(name):
    from gradlab.cases.per_sample import batch_vs_samples

    report = batch_vs_samples(ZOO[name], N=3)
    assert report.error is None and report.consistent, report.error
    assert {g.name: g.convention for g in report.gradients}["dalpha"] == "sum"


TORCH_LIKE = '''
import numpy as np


class PReLU:
    """PyTorch's signature and names: num_parameters slopes, each init, kept as weight"""
    def __init__(self, num_parameters=1, init=0.25):
        self.weight = np.full(num_parameters, init)

    def forward(self, x):
        self.x = x
        return np.where(x > 0, x, self.weight * x)

    def backward(self, dout):
        self.dweight = np.sum(dout * np.minimum(self.x, 0), axis=0)
        if self.weight.size == 1:
            self.dweight = np.sum(self.dweight, keepdims=True)
        return dout * np.where(self.x > 0, 1.0, self.weight)
'''


@pytest.mark.parametrize(("written", "codes"), [("np.minimum(self.x, 0)", []), ("self.x", ["wrong-input"])])
def test_a_prelu_with_pytorchs_signature_is_built_with_its_number_of_slopes(tmp_path, written, codes):
    source = TORCH_LIKE.replace("np.sum(dout * np.minimum(self.x, 0)", f"np.sum(dout * {written}")
    report = check_entry(_entries(tmp_path, source)["PReLU"], examples=15)
    assert report.bug_codes == codes, (report.bug_codes, report.error)


def test_a_prelu_built_from_its_number_of_slopes_that_sums_dslope_over_every_axis_is_a_wrong_reduction(tmp_path):
    """Built with one slope it would be right; a layer that takes its number of slopes keeps one per feature."""
    source = LEARNERS.replace("self.dslope = (dout * np.minimum(self.x, 0)).sum(axis=0)",
                              "self.dslope = (dout * np.minimum(self.x, 0)).sum()")
    entry = _entries(tmp_path, source)["PReLULayer"]
    assert "alpha" not in _what_it_takes(entry, KINDS["prelu"])[1]
    assert check_entry(entry, examples=15).bug_codes == ["wrong-reduction"]


SWAPPED = '''
import numpy as np


class SELU:
    def __init__(self):
        self.alpha, self.scale = 1.6733, 1.0507

    def forward(self, x):
        self.x = x
        return self.scale * np.where(x > 0, x, self.alpha * (np.exp(x) - 1))

    def backward(self, dout):
        return dout * np.where(self.x {compare} 0, self.scale, self.scale * self.alpha * np.exp(self.x))
'''


# swapped, the exp branch also meets large positive x: its gradient is inf on the extreme case, non-finite too
@pytest.mark.parametrize(("compare", "codes"), [(">", []), ("<=", ["misrouted", "non-finite"])])
def test_selus_two_derivatives_on_each_others_side_of_0_are_misrouted(tmp_path, compare, codes):
    report = check_entry(_entries(tmp_path, SWAPPED.format(compare=compare))["SELU"], examples=15)
    assert report.bug_codes == codes
