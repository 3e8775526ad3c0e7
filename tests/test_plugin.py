"""The pytest side of gradlab: `assert_backward`, the plugin's options, header, fixtures and params.

User test files run in `pytester` sessions (in-process, with few cases so they stay fast); the
argument checks of `assert_backward` are called directly, as one table of bad calls.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

import gradlab
from gradlab.testing import assertions, plugin as pytest_plugin
from gradlab.testing.assertions import GradientCheckError, GradlabWarning, assert_backward
from gradlab.conventions.registry import load_reference
from gradlab.core.results import PASS


# The layers of the user files below, written as a student would (class style, batch first).
LAYERS = '''
import numpy as np


class SoftmaxWithLoss:
    """Correct forward; backward forgets the batch mean's 1/N."""

    def forward(self, x, t):
        if t.ndim == 1:
            t = np.eye(x.shape[1])[t]
        self.t = t
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y = e / e.sum(axis=1, keepdims=True)
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]

    def backward(self, dout=1):
        return (self.y - self.t) * dout


class Affine:
    """Correct."""

    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)


class TransposedAffine(Affine):
    """dW computed as dout.T @ x and squeezed into W's shape."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = (dout.T @ self.x).reshape(self.W.shape)
        return dx
'''

CORRECT_TEST = '''
from gradlab import assert_backward
from layers import Affine


def test_affine():
    assert_backward(Affine)
'''

MISSING_MEAN_TEST = '''
from gradlab import assert_backward
from layers import SoftmaxWithLoss


def test_softmax_with_loss():
    assert_backward(SoftmaxWithLoss)
'''

TRANSPOSED_TEST = '''
def test_affine_through_the_fixture(gradlab_check):
    from layers import TransposedAffine

    gradlab_check(TransposedAffine, kind="affine")
'''


def _failure_lines(output: str) -> dict[str, str]:
    """The lines of a gradlab report that identify the failing case."""
    keys = ("worst element", "smallest failing case", "seed ")
    return {k: line.strip() for line in output.splitlines() for k in keys if line.strip("E ").startswith(k)}


def _header_seed(output: str) -> int:
    match = re.search(r"^gradlab: seed=(\d+), examples=(\d+) \(repeat with", output, re.MULTILINE)
    assert match, output
    return int(match[1])


# --- user test files under the plugin -------------------------------------------------------


def test_a_correct_layer_passes(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user=CORRECT_TEST)
    result = pytester.runpytest("--gradlab-examples=10")
    result.assert_outcomes(passed=1)


def test_a_layer_missing_the_batch_mean_fails_with_a_report_a_person_can_act_on(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user=MISSING_MEAN_TEST)
    result = pytester.runpytest("--gradlab-examples=10", "--gradlab-seed=5")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    for expected in ("FAIL SoftmaxWithLoss", "missing-batch-mean", "worst element dx[", "analytic", "numeric",
                     "hint (missing-batch-mean)", "smallest failing case: N=", "passes with N=1",
                     "seed 5", "pytest --gradlab-seed=5 --gradlab-examples=10"):
        assert expected in out, f"{expected!r} missing from:\n{out}"
    # the traceback stops at the user's line: gradlab's own frames are hidden
    assert "assertions.py" not in out


def test_a_transposed_weight_gradient_fails_naming_dW_and_the_test_to_repeat(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user=TRANSPOSED_TEST)
    result = pytester.runpytest("--gradlab-examples=10", "--gradlab-seed=3")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert re.search(r"worst element dW\[\d+, \d+\]: analytic \S+, numeric \S+", out), out
    assert "smallest failing case: N=" in out
    assert "pytest 'test_user.py::test_affine_through_the_fixture' --gradlab-seed=3" in out
    assert "pytest_plugin.py" not in out and "assertions.py" not in out


def test_the_seed_and_the_number_of_examples_are_in_the_report_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest("--gradlab-seed=1234", "--gradlab-examples=7")
    result.stdout.fnmatch_lines(["gradlab: seed=1234, examples=7 (repeat with --gradlab-seed=1234 --gradlab-examples=7)"])
    result.assert_outcomes(passed=1)


def test_a_project_that_never_checks_a_layer_hears_nothing_from_gradlab(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert not [line for line in result.stdout.lines if line.startswith("gradlab")]
    assert not (pytester.path / ".pytest_cache" / "v" / "gradlab").exists()


def test_with_v_the_header_shows_the_seed_even_when_no_option_is_given(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    pytester.runpytest("-v").stdout.fnmatch_lines(["gradlab: seed=*, examples=50 (repeat with --gradlab-seed=*)"])


def test_hypothesis_seed_and_profile_set_gradlabs_seed_and_examples(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from hypothesis import settings\nsettings.register_profile('tiny', max_examples=3)\n")
    pytester.makepyfile(layers=LAYERS, test_user="""
from gradlab import assert_backward
from layers import Affine


def test_affine():
    report = assert_backward(Affine)
    assert (report.seed, report.examples) == (11, 3)
""")
    # in a child process: hypothesis's plugin loads the profile and forces the seed for the whole process,
    # which would leak into every later test of this one
    pytester.runpytest_subprocess("--hypothesis-seed=11", "--hypothesis-profile=tiny").assert_outcomes(passed=1)


def test_a_failure_is_replayed_first_on_the_next_run_and_forgotten_once_fixed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user=MISSING_MEAN_TEST)
    first = pytester.runpytest("--gradlab-examples=10")
    second = pytester.runpytest("--gradlab-examples=10")  # another random seed, the same smallest case first
    case = _failure_lines(first.stdout.str())["smallest failing case"]
    assert _failure_lines(second.stdout.str())["smallest failing case"] == case
    assert re.search(r"seed \d+, 2 cases", second.stdout.str())  # the extreme case and the remembered one
    memory = pytester.path / ".pytest_cache" / "v" / "gradlab" / "failures"
    (remembered,) = memory.iterdir()
    assert remembered.read_text().strip() != "null"
    fixed = LAYERS.replace("return (self.y - self.t) * dout", "return (self.y - self.t) * dout / self.t.shape[0]")
    pytester.makepyfile(layers=fixed)
    pytester.runpytest("--gradlab-examples=10", "-p", "no:randomly").assert_outcomes(passed=1)
    assert remembered.read_text().strip() == "null"  # forgotten: the next failure is searched afresh


def test_without_a_seed_option_the_random_seed_in_the_header_is_the_one_a_failure_repeats(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user=MISSING_MEAN_TEST)
    result = pytester.runpytest("--gradlab-examples=10")
    result.assert_outcomes(failed=1)
    seed = _header_seed(result.stdout.str())
    assert f"--gradlab-seed={seed} --gradlab-examples=10" in result.stdout.str()


def test_gradlab_seed_last_repeats_the_previous_runs_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user=MISSING_MEAN_TEST)
    seed = _header_seed(pytester.runpytest("-v").stdout.str())
    pytester.runpytest("--gradlab-seed=last").stdout.fnmatch_lines([f"gradlab: seed={seed}, examples=50 *"])


def test_gradlab_seed_last_without_an_earlier_run_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--gradlab-seed=last")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no earlier run recorded a seed here; pass a number*"])


def test_the_same_seed_shows_the_same_failing_case_on_two_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user=MISSING_MEAN_TEST)
    # without pytest's cache, so that the second run does not replay the first one's failure
    first = pytester.runpytest("--gradlab-examples=10", "--gradlab-seed=5", "-p", "no:cacheprovider")
    second = pytester.runpytest("--gradlab-examples=10", "--gradlab-seed=5", "-p", "no:cacheprovider")
    lines = _failure_lines(first.stdout.str())
    assert set(lines) == {"worst element", "smallest failing case", "seed "}
    assert lines == _failure_lines(second.stdout.str())


def test_gradlab_examples_sets_the_number_of_cases_each_check_runs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(layers=LAYERS, test_user='''
from gradlab import assert_backward
from layers import Affine


def test_affine_runs_seven_cases():
    assert assert_backward(Affine).examples == 7


def test_a_count_in_the_call_wins():
    assert assert_backward(Affine, examples=3).examples == 3
''')
    pytester.runpytest("--gradlab-examples=7").assert_outcomes(passed=2)


def test_gradlab_deep_asks_for_500_examples_unless_gradlab_examples_is_given(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    pytester.runpytest("--gradlab-deep", "--gradlab-seed=1").stdout.fnmatch_lines(["gradlab: seed=1, examples=500 *"])
    pytester.runpytest("--gradlab-deep", "--gradlab-seed=1", "--gradlab-examples=9").stdout.fnmatch_lines(
        ["gradlab: seed=1, examples=9 *"])


@pytest.mark.parametrize("option, complaint", [
    pytest.param("--gradlab-examples=0", "pass 1 or more", id="zero-examples"),
    pytest.param("--gradlab-examples=many", "invalid", id="examples-not-a-number"),
    pytest.param("--gradlab-seed=-1", "pass a seed of 0 or more", id="negative-seed"),
    pytest.param("--gradlab-seed=abc", "pass a whole number or 'last'", id="seed-not-a-number"),
])
def test_a_bad_option_is_a_usage_error_that_says_what_to_pass(pytester: pytest.Pytester, option: str,
                                                              complaint: str) -> None:
    result = pytester.runpytest(option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{complaint}*"])


def test_the_options_are_listed_in_their_own_group_with_their_defaults(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--help")
    help_text = " ".join(result.stdout.str().split())  # undo the terminal-width line wrapping
    group = help_text[help_text.index("gradlab: gradient checks"):]
    for expected in ("--gradlab-seed=INT", "default: a random seed per run, printed in the header",
                     "--gradlab-examples=INT", "default: 50", "--gradlab-deep", "500 cases per layer"):
        assert expected in group, expected


def test_an_inner_pytest_run_leaves_the_outer_sessions_options_in_place(pytester: pytest.Pytester) -> None:
    outer = assertions.session_options()
    pytester.makepyfile(test_nothing="def test_nothing():\n    pass\n")
    pytester.runpytest("--gradlab-seed=999")
    assert assertions.session_options() == outer


# --- the registry as test parameters ----------------------------------------------------------


def test_registry_params_collect_one_test_per_correct_entry_named_after_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_registry='''
import pytest
from gradlab.testing.plugin import registry_params


@pytest.mark.parametrize("entry", registry_params())
def test_layer(entry, gradlab_check):
    gradlab_check(entry)
''')
    result = pytester.runpytest("--collect-only", "-q")
    correct = [e.name for e in load_reference().values() if not e.is_buggy]
    result.stdout.fnmatch_lines([f"test_registry.py::test_layer[[]{name}[]]" for name in correct],
                                consecutive=True)
    result.stdout.fnmatch_lines([f"{len(correct)} tests collected*"])


def test_registry_params_can_include_the_buggy_variants() -> None:
    params = pytest_plugin.registry_params(correct_only=False)
    assert [p.id for p in params] == list(load_reference())
    assert all(p.values[0].name == p.id for p in params)


def test_every_correct_registry_layer_passes_through_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_registry='''
import pytest
from gradlab.testing.plugin import registry_params


@pytest.mark.parametrize("entry", registry_params())
def test_layer(entry, gradlab_check):
    gradlab_check(entry)
''')
    correct = sum(not e.is_buggy for e in load_reference().values())
    pytester.runpytest("--gradlab-examples=3", "-W", "ignore::gradlab.GradlabWarning").assert_outcomes(
        passed=correct)


def test_the_gradlab_registry_fixture_is_the_loaded_registry_read_only(gradlab_registry: Any) -> None:
    assert dict(gradlab_registry) == load_reference()
    with pytest.raises(TypeError):
        gradlab_registry["new"] = None


# --- assert_backward called directly ------------------------------------------------------------


def test_assert_backward_returns_the_report_of_a_passing_layer() -> None:
    from gradlab.reference.classes import Affine

    report = assert_backward(Affine, examples=5, seed=1)
    assert report.verdict == PASS and report.examples == 5 and report.seed == 1


def test_a_function_style_pair_and_a_loss_function_are_accepted_as_they_are() -> None:
    from gradlab.reference.functions import affine_backward, affine_forward, softmax_loss

    assert assert_backward(affine_forward, affine_backward, examples=3).verdict == PASS
    assert assert_backward(softmax_loss, examples=3).verdict == PASS


class _Relu:
    """Right gradient, but it zeroes the upstream gradient in place."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout[self.mask] = 0
        return dout


def test_a_layer_that_only_warns_passes_with_a_gradlab_warning_naming_the_problem() -> None:
    with pytest.warns(GradlabWarning, match="upstream gradient dout"):
        report = assert_backward(_Relu, kind="relu", examples=5)
    assert report.verdict == "warn"


class _SignFlippedTanh:
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = np.tanh(x)
        return self.y

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return -dout * (1 - self.y**2)


def test_a_failure_is_an_assertion_error_carrying_the_report() -> None:
    with pytest.raises(AssertionError) as info:
        assert_backward(_SignFlippedTanh, kind="tanh", examples=5, seed=2)
    assert isinstance(info.value, GradientCheckError)
    assert info.value.report.bug_codes == ["sign-flip"]
    assert str(info.value).startswith("FAIL _SignFlippedTanh")
    assert "seed=2 is set in the call" in str(info.value)


def test_outside_the_plugin_the_seed_defaults_to_0(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(assertions, "_session", None)
    with pytest.raises(GradientCheckError, match="the default seed 0") as info:
        assert_backward(_SignFlippedTanh, kind="tanh", examples=5)
    assert info.value.report.seed == 0


def test_loading_the_plugin_imports_neither_numpy_nor_hypothesis() -> None:
    import subprocess
    import sys

    probe = "import sys, gradlab.testing.plugin; print(sorted({'numpy', 'hypothesis'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


class _NoBackward:
    def forward(self, x: np.ndarray) -> np.ndarray:
        return x


class Mystery:
    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout


def _affine_instance() -> Any:
    from gradlab.reference.classes import Affine

    return Affine(np.ones((2, 3)), np.zeros(3))


def _fn(name: str) -> Any:
    from gradlab.reference import functions

    return getattr(functions, name)


BAD_CALLS = [
    pytest.param(lambda: assert_backward(Mystery, kind="relu", examples=0), ValueError, "examples=0: pass at least 1",
                 id="examples-zero"),
    pytest.param(lambda: assert_backward(Mystery, kind="relu", examples=-5), ValueError, "examples=-5",
                 id="examples-negative"),
    pytest.param(lambda: assert_backward(Mystery, kind="relu", examples=2.5), TypeError, "whole number",
                 id="examples-float"),
    pytest.param(lambda: assert_backward(Mystery, kind="relu", examples=True), TypeError, "whole number",
                 id="examples-bool"),
    pytest.param(lambda: assert_backward(Mystery, kind="relu", seed="42"), TypeError, "seed='42'",
                 id="seed-string"),
    pytest.param(lambda: assert_backward(Mystery, kind="relu", seed=-1), ValueError, "non-negative seed",
                 id="seed-negative"),
    pytest.param(lambda: assert_backward(Mystery, kind="rellu"), ValueError, "did you mean kind='relu'",
                 id="kind-misspelt"),
    pytest.param(lambda: assert_backward(Mystery, kind=3), TypeError, "name of a layer kind", id="kind-not-a-string"),
    pytest.param(lambda: assert_backward(Mystery), ValueError, "pass kind=", id="unknown-class-name-without-kind"),
    pytest.param(lambda: assert_backward(_affine_instance()), TypeError, r"pass the class itself, assert_backward\(Affine\)",
                 id="instance-instead-of-class"),
    pytest.param(lambda: assert_backward(_NoBackward, kind="relu"), TypeError, "has no backward method",
                 id="class-without-backward"),
    pytest.param(lambda: assert_backward(Mystery, len, kind="relu"), TypeError, "its backward is the method",
                 id="class-with-a-backward-function"),
    pytest.param(lambda: assert_backward(_fn("affine_forward")), TypeError, "pass its backward too",
                 id="forward-without-backward"),
    pytest.param(lambda: assert_backward(_fn("affine_forward"), "affine_backward"), TypeError, "not callable",
                 id="backward-not-callable"),
    pytest.param(lambda: assert_backward("Affine"), TypeError, "gradlab.conventions.registry.get", id="layer-as-a-string"),
    pytest.param(lambda: assert_backward(42), TypeError, "expected a layer class", id="layer-not-a-layer"),
    pytest.param(lambda: assert_backward(load_reference()["Affine"], kind="affine"), TypeError, "pass it alone",
                 id="entry-with-kind"),
    pytest.param(lambda: pytest_plugin.registry_params(correct_only="yes"), TypeError, "True or False",
                 id="registry-params-correct-only-not-bool"),
]


@pytest.mark.parametrize("call, error, message", BAD_CALLS)
def test_a_bad_call_raises_before_any_check_and_says_how_to_fix_it(call: Any, error: type, message: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def no_work(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a check ran before the arguments were validated")

    monkeypatch.setattr("gradlab.cases.runner.check_entry", no_work)
    with pytest.raises(error, match=message):
        call()


# --- the public module ----------------------------------------------------------------------


def test_gradlab_exports_the_helpers_and_importing_it_or_the_plugin_does_not_import_hypothesis() -> None:
    assert {"assert_backward", "GradientCheckError", "check_entry", "entry_for"} <= set(gradlab.__all__)
    assert gradlab.assert_backward is assert_backward
    code = "import sys, gradlab, gradlab.testing.plugin; print('hypothesis' in sys.modules, 'numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_the_plugin_is_registered_under_the_pytest11_entry_point(pytestconfig: pytest.Config) -> None:
    assert pytestconfig.pluginmanager.get_plugin("gradlab") is pytest_plugin


TEXTBOOK_RELU_TEST = '''
import numpy as np
from gradlab import assert_backward


class Relu:
    """The textbook's correct Relu: it zeroes the upstream gradient in place."""

    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        return dout


def test_relu():
    assert_backward(Relu, examples=5)
'''


def test_a_blanket_w_error_leaves_gradlabs_advice_a_warning(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_relu=TEXTBOOK_RELU_TEST)
    result = pytester.runpytest("-W", "error")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*GradlabWarning: WARN Relu*", "*wrote into the upstream gradient dout*"])


def test_an_error_filter_that_names_gradlab_warning_is_obeyed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_relu=TEXTBOOK_RELU_TEST)
    pytester.runpytest("-W", "error::gradlab.GradlabWarning").assert_outcomes(failed=1)
