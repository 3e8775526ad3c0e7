"""Kinds real course code has that gradlab learned in the ninth round (issue 10): ReLU6 and Hardswish;
deeplearning.ai's channels-last convolution and pooling; batch norm without CS231n's bn_param; activations that
return their derivative behind a flag; a GRU step and sequence in CS231n's function convention. The zoo's correct
layers pass and its buggy twins fail with their intended code, and files written in each convention (our own,
`tests/fixtures/kinds_ninth/`) are read and judged as written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.conventions.derivative_classes import ActivationPairLayer, derivative_of_output
from gradlab.conventions.discover import discover
from gradlab.conventions.function_inputs import settings_in_place_of_dict
from gradlab.conventions.imports import load_module
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS

FIXTURES = Path(__file__).parent / "fixtures" / "kinds_ninth"
NEW_KINDS = ("relu6", "hardswish", "conv_channels_last", "pool_channels_last", "gru")
#: kinds one course writes in one convention only
FUNCTIONS_ONLY = ("conv_channels_last", "pool_channels_last", "gru")
ZOO = {name: e for name, e in load_reference().items() if e.kind in NEW_KINDS}
CORRECT = sorted(n for n, e in ZOO.items() if not e.is_buggy)
BUGGY = sorted(n for n, e in ZOO.items() if e.is_buggy)


def _checked(path: Path, examples: int = 10) -> dict[str, tuple[str, list[str]]]:
    """name -> (verdict, bug codes) of every layer gradlab finds in `path`."""
    out = {}
    for found in discover([path]):
        assert found.error is None, found.error
        for entry in found.entries:
            report = check_entry(entry, examples=examples, seed=0)
            out[entry.name] = (report.verdict, report.bug_codes)
    return out


def test_the_zoo_holds_a_correct_layer_and_a_buggy_twin_of_each_new_kind_in_each_of_its_conventions():
    for kind in NEW_KINDS:
        conventions = {"function"} if kind in FUNCTIONS_ONLY else {"class", "function"}
        assert {ZOO[n].convention for n in CORRECT if ZOO[n].kind == kind} == conventions
        assert {ZOO[n].convention for n in BUGGY if ZOO[n].kind == kind} == conventions


@pytest.mark.parametrize("name", CORRECT)
def test_a_correct_layer_of_a_new_kind_passes(name):
    report = check_entry(ZOO[name], examples=20, seed=2)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.parametrize("name", BUGGY)
def test_a_buggy_layer_of_a_new_kind_fails_with_its_intended_code_first(name):
    report = check_entry(ZOO[name], examples=20, seed=0)
    assert report.verdict == FAIL and report.bug_codes[0] == ZOO[name].bug, report.bug_codes


def test_learners_relu6_and_hardswish_are_read_by_their_pytorch_names_and_their_derivative_functions():
    results = _checked(FIXTURES / "activations_learners.py")
    assert results["ReLU6"][0] == PASS and results["HardSwish"][0] == PASS
    assert results["relu6"][0] == PASS  # relu6 with relu6_prime, one layer
    assert results["hard_swish"] == (FAIL, ["dropped-term"])  # its prime forgets the product rule's x / 6


def test_deeplearning_ais_conv_and_pool_are_read_channels_last_and_each_pooling_mode_is_its_own_layer():
    found = discover([FIXTURES / "cnn_step_by_step.py"])[0]
    kinds = {e.name: e.kind for e in found.entries}
    assert kinds == {"conv": "conv_channels_last", "pool[max]": "pool_channels_last",
                     "pool[average]": "pool_channels_last"}  # the course's helpers are no layers
    results = _checked(FIXTURES / "cnn_step_by_step.py")
    assert results["conv"][0] == PASS and results["pool[max]"][0] == PASS
    # distribute_value spreads dz without dividing by the window's f * f
    assert results["pool[average]"] == (FAIL, ["scaled"])


def test_a_conv_forward_taking_conv_param_is_still_cs231ns_convolution(tmp_path):
    path = tmp_path / "layers.py"
    path.write_text("def conv_forward_naive(x, w, b, conv_param):\n    return x, None\n\n\n"
                    "def conv_backward_naive(dout, cache):\n    return dout, None, None\n")
    assert [e.kind for e in discover([path])[0].entries] == ["conv"]


def test_a_course_conv_that_casts_its_one_element_bias_with_float_is_set_aside_as_written_for_an_older_numpy(
        tmp_path):
    """conv_single_step's float(b) of a (1, 1, 1) array: numpy 1.25 warned, numpy 2 raises; not a bug of the layer."""
    source = (FIXTURES / "cnn_step_by_step.py").read_text().replace("b.item()", "float(b)")
    path = tmp_path / "cnn_step_by_step.py"
    path.write_text(source)
    entry = next(e for e in discover([path])[0].entries if e.name == "conv")
    report = check_entry(entry, examples=3, seed=0)
    assert report.not_run is not None, report.bug_codes  # listed as skipped with why, not failed as crashed
    assert "older numpy" in report.not_run and "b.item()" in report.not_run


def test_batch_norm_without_bn_param_is_called_with_its_own_settings_and_its_bug_is_named():
    results = _checked(FIXTURES / "flags_and_settings.py")
    assert results["batchnorm"][0] == PASS  # batchnorm_forward(x, gamma, beta, eps=1e-5)
    assert results["batch_norm"] == (FAIL, ["extra-batch-mean"])  # batch_norm_forward(x, gamma, beta): dbeta a mean


@pytest.mark.parametrize(("signature", "given"), [
    ("x, gamma, beta, eps=1e-5", ("eps",)), ("x, gamma, beta", ()), ("x, gamma, beta, eps", ("eps",)),
    ("x, gamma, beta, train=True", ()),
    ("x, gamma, beta, epsilon, momentum=0.9", ("eps", "momentum")), ("x, gamma, beta, bn_param", None),
    ("x, gamma, beta, bn_param=None", None), ("x, gamma, beta, bn_param={}", None), ("x, gamma, beta, *args", None),
])
def test_a_batch_norm_forward_without_a_place_for_the_dict_is_given_its_settings_as_it_names_them(signature, given):
    namespace: dict = {}
    exec(f"def batchnorm_forward({signature}):\n    pass", namespace)
    assert settings_in_place_of_dict(namespace["batchnorm_forward"], KINDS["batchnorm"]) == given


def test_a_geometry_dict_is_never_left_out_even_for_a_forward_with_defaults():
    """A stride or a padding changes what a convolution computes: its own defaults would check another layer."""
    def conv_forward_naive(x, w, b, stride=1):
        return x, None
    assert settings_in_place_of_dict(conv_forward_naive, KINDS["conv"]) is None


def test_activations_returning_their_derivative_behind_a_flag_are_checked_as_that_derivative():
    results = _checked(FIXTURES / "flags_and_settings.py")
    assert results["sigmoid"][0] == PASS and results["tanh"][0] == PASS
    assert results["swish"] == (FAIL, ["dropped-term"])  # swish(x, derivative=True) returns sigmoid(x) alone


def test_the_flags_branch_says_whether_the_derivative_takes_the_output_or_the_input():
    module = load_module(FIXTURES / "flags_and_settings.py")
    assert derivative_of_output(module.tanh, "deriv")  # 1 - x ** 2: arithmetic on its argument alone
    assert not derivative_of_output(module.sigmoid, "derivative")  # s computed before the branch
    # read the other way, tanh's 1 - x ** 2 is no derivative of tanh: the reading is what passes it
    pair = ActivationPairLayer(module.tanh, lambda x: module.tanh(x, deriv=True), KINDS["tanh"])
    x = np.linspace(-2, 2, 7).reshape(1, 7)
    pair.forward(x)
    dx, _ = pair.backward(np.ones_like(x))
    assert not np.allclose(dx, 1 - np.tanh(x) ** 2)


def test_a_function_without_a_flag_keeps_the_textbooks_reading(tmp_path):
    path = tmp_path / "functions.py"
    path.write_text("import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n\n"
                    "def relu(x, inplace=False):\n    return np.maximum(0, x)\n")
    assert [e.name for e in discover([path])[0].entries] == []


def test_a_gru_in_cs231ns_function_convention_is_read_as_a_step_and_as_a_sequence():
    found = discover([FIXTURES / "gru_functions.py"])[0]
    assert {e.name: e.kind for e in found.entries} == {"gru_step": "gru_step", "gru": "gru"}
    skipped = dict(found.skipped)
    assert "also requires bh" in skipped["gru_two_biases"]  # a bias per matrix: another convention, not failed
    results = _checked(FIXTURES / "gru_functions.py")
    assert results["gru_step"][0] == PASS  # PyTorch's gate order: the check differentiates the forward's own
    verdict, codes = results["gru"]  # the next step's dh dropped from the sequence's backward
    assert verdict == FAIL and codes[0] == "dropped-term"


def test_the_grader_accepts_a_gru_forward_in_either_gate_order_and_rejects_another_function():
    from gradlab.cases.forward_reference import check_forward
    from gradlab.cases.per_sample import default_spec

    module = load_module(FIXTURES / "gru_functions.py")
    kind = KINDS["gru"]
    case = kind.case(default_spec(kind, 3, style="function"))
    out, _ = module.gru_forward(case.x, *(case.params[p] for p in kind.params))
    assert check_forward(kind, case, out).ok  # r, z, n with h = (1 - z) n + z h
    assert not check_forward(kind, case, np.tanh(out)).ok


def test_a_one_line_conditional_derivative_is_read_as_its_if_block_is(tmp_path):
    path = tmp_path / "net.py"
    path.write_text("import numpy as np\n\n\ndef sigmoid(x, derivative=False):\n"
                    "    return x * (1 - x) if derivative else 1 / (1 + np.exp(-x))\n")
    module = load_module(path)
    assert derivative_of_output(module.sigmoid, "derivative")
    assert _checked(path)["sigmoid"][0] == PASS  # given the output, as the network that calls it gives it


def test_a_folders_file_of_flag_activations_is_read_and_one_without_a_flag_is_not(tmp_path):
    from gradlab.conventions.source_reading import could_hold_layers

    flagged = tmp_path / "activation.py"
    flagged.write_text("import numpy as np\n\n\ndef relu(x, derivative=False):\n"
                       "    if derivative:\n        return (x > 0) * 1.0\n    return x * (x > 0)\n")
    plain = tmp_path / "helpers.py"
    plain.write_text("import numpy as np\n\n\ndef relu(x, inplace=False):\n    return np.maximum(x, 0)\n")
    assert could_hold_layers(flagged) and not could_hold_layers(plain)
    assert [e.name for f in discover([tmp_path]) for e in f.entries] == ["relu"]


def test_a_pool_forward_without_the_courses_dict_is_no_deeplearning_ai_pooling(tmp_path):
    """Called with hparameters it does not take, a learner's own pooling would crash: it stays an unknown name."""
    path = tmp_path / "cnn.py"
    path.write_text("def pool_forward(X, size=2, stride=2):\n    return X, X\n\n\n"
                    "def pool_backward(dout, cache):\n    return dout\n")
    found = discover([path])[0]
    assert found.entries == [] and "not a layer name gradlab knows" in dict(found.skipped)["pool"]


def test_a_flag_activation_written_for_single_numbers_is_set_aside_saying_so(tmp_path):
    path = tmp_path / "scalar.py"
    path.write_text("import math\n\n\ndef sigmoid(x, derivative=False):\n    if derivative:\n"
                    "        return x * (1 - x)\n    return 1 / (1 + math.exp(-x))\n")
    report = check_entry(discover([path])[0].entries[0], examples=3, seed=0)
    assert report.not_run is not None and "single numbers" in report.not_run and "np.exp" in report.not_run


def test_a_layer_that_takes_float_of_more_than_one_value_still_fails_as_crashed(tmp_path):
    """Not numpy 1's one-element conversion: float() of two values never ran, in any numpy."""
    source = (FIXTURES / "cnn_step_by_step.py").read_text().replace("b.item()", "float(np.append(b, b))")
    path = tmp_path / "cnn_step_by_step.py"
    path.write_text(source)
    entry = next(e for e in discover([path])[0].entries if e.name == "conv")
    report = check_entry(entry, examples=3, seed=0)
    assert report.not_run is None and report.bug_codes == ["crashed"]
