"""Issue 10: what gradlab says on a learner's library (pybernetics) and on the demos of a course file.

The fixtures in tests/reach_pybernetics/ are our own files written in those conventions, each with a buggy twin.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main
from gradlab.conventions.derivative_classes import ActivationPairLayer, one_to_one
from gradlab.conventions.imports import load_module
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS

HERE = Path(__file__).parent / "reach_pybernetics"


def test_a_forward_with_no_parameters_is_said_plainly_not_to_be_a_layer_and_the_pair_beside_it_is_checked(capsys):
    main(["check", str(HERE / "demo_course.py")])
    text = capsys.readouterr().out
    assert "SKIP demo_conv: demo_conv_forward takes no arguments: a function with no parameters is not a layer, " \
           "so it is not checked" in text
    assert "say the shape" not in text  # the old message asked for the shapes of no arguments
    assert "verbose_forward needs no argument (every parameter has a default: x)" in text
    assert "PASS halve (generic function" in text


def test_the_demos_buggy_twin_fails_its_real_pair_while_the_demos_stay_skipped(capsys):
    assert main(["check", str(HERE / "demo_course_buggy.py")]) == 1
    text = capsys.readouterr().out
    assert "FAIL halve (generic function, demo_course_buggy.py) [scaled]" in text
    assert "SKIP demo_conv: demo_conv_forward takes no arguments" in text


def _verdicts(path: Path) -> dict[str, tuple[str, list[str]]]:
    outcome = check_paths([path], examples=3, seed=0)
    return {r.name: (r.verdict, list(r.bug_codes)) for r in outcome.reports}


def test_a_derivative_named_x_whose_body_is_arithmetic_on_x_alone_takes_the_output_and_passes():
    # sigmoid_derivative(x): return x * (1 - x), tanh_prime(x): return 1 - x ** 2: f' written in terms of f
    assert _verdicts(HERE / "output_derivatives.py") == {"sigmoid": (PASS, []), "tanh": (PASS, [])}


def test_read_at_the_input_those_derivatives_would_fail_so_the_reading_is_what_passes_them():
    module = load_module(HERE / "output_derivatives.py")
    layer = ActivationPairLayer(module.tanh, module.tanh_prime, KINDS["tanh"])
    assert layer.of_output
    x = np.linspace(-2, 2, 7).reshape(1, 7)
    assert not np.allclose(module.tanh_prime(x), 1 - np.tanh(x) ** 2)


def test_the_buggy_twins_derivatives_still_fail_as_wrong_formulas():
    # x * (1 + x): one term's sign flipped, named sign-flip since d60388d (more precise than mismatch)
    assert _verdicts(HERE / "output_derivatives_buggy.py") == {"sigmoid": (FAIL, ["sign-flip"]),
                                                                "tanh": (FAIL, ["mismatch"])}


def test_a_caller_passing_the_input_decides_over_the_body_so_tanh_prime_at_the_output_is_wrong_input():
    assert _verdicts(HERE / "input_caller.py")["tanh"] == (PASS, [])
    assert _verdicts(HERE / "input_caller_buggy.py")["tanh"][0] == FAIL
    assert _verdicts(HERE / "input_caller_buggy.py")["tanh"][1][0] == "wrong-input"


def test_a_mask_or_a_many_to_one_activation_says_nothing_about_the_output():
    module = load_module(HERE / "output_derivatives.py")
    assert one_to_one(module.sigmoid) and one_to_one(module.tanh)
    assert not one_to_one(lambda x: x * np.clip(x + 3, 0, 6) / 6)  # hard swish: one output at two inputs
    assert not one_to_one(lambda x: np.maximum(x, 0))  # relu is flat below 0


def test_a_number_plus_a_column_bias_stored_into_one_element_is_set_aside_as_written_for_an_older_numpy():
    # pybernetics' Conv1D: np.sum(window * w[f]) + biases[f], biases (F, 1): numpy 1 took it, numpy 2.4 raises
    outcome = check_paths([HERE / "column_bias_conv.py"], examples=3, seed=0)
    assert outcome.reports == []
    reason = dict(outcome.skipped)["Conv1D"]
    assert "written for an older numpy" in reason and "b[f, 0]" in reason


def test_a_whole_row_stored_into_one_element_beside_a_column_bias_still_fails_as_crashed():
    assert _verdicts(HERE / "column_bias_conv_buggy.py") == {"Conv1D": (FAIL, ["crashed"])}
