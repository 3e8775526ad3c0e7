"""Issue 10: what gradlab says on a learner's library (pybernetics) and on the demos of a course file.

The fixtures in tests/reach_pybernetics/ are our own files written in those conventions, each with a buggy twin.
"""

from __future__ import annotations

from pathlib import Path

from gradlab.cli.main import main

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
