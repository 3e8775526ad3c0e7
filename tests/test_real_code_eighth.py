"""Conventions of published code that gradlab failed on right layers (issue 10, session 24): each test checks a folder
of tests/realcode8/ (this project's own files, written in the convention met in the wild, see its README) as a new
user would, and next to each a twin with one bug that must fail shows the check could have failed."""

from __future__ import annotations

import sys
from pathlib import Path

from gradlab.cases.check_many import check_paths

HERE = Path(__file__).parent / "realcode8"


def _check(path: Path, examples: int = 6):
    outcome = check_paths([path], examples=examples, seed=0)
    verdicts = {r.name: r for r in outcome.reports}
    return outcome, verdicts


def test_autograd_functions_whose_backward_reads_what_call_recorded_are_called_and_pass():
    # DeZero's convention: forward on arrays, backward on the engine's values, reading self.inputs and (through a
    # weak reference) self.outputs, which only Function.__call__ sets; Linear takes W and b as inputs
    outcome, verdicts = _check(HERE / "autograd_steps")
    assert outcome.errors == []
    assert set(verdicts) == {"Add", "Tanh", "Linear", "MeanSquaredError"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}
    assert set(verdicts["Linear"].to_dict()["gradients"]) >= {"dx", "dW", "db"}
    assert "tinygrad_course" not in sys.modules


def test_autograd_functions_with_one_bug_each_fail_with_the_code_of_their_bug():
    _, verdicts = _check(HERE / "autograd_steps_buggy")
    assert verdicts["Linear"].verdict == "fail" and verdicts["Linear"].bug_codes == ["scaled"]
    assert verdicts["MeanSquaredError"].verdict == "fail" and verdicts["MeanSquaredError"].bug_codes == ["scaled"]
    assert verdicts["Tanh"].verdict == "fail" and "crashed" not in verdicts["Tanh"].bug_codes


def test_an_engines_first_steps_get_their_inputs_as_its_values_and_backward_a_plain_array():
    # the call reads input.data (no conversion) and remembers self.input, self.output; the engine seeds an array
    outcome, verdicts = _check(HERE / "autograd_first_steps")
    assert outcome.errors == [] and set(verdicts) == {"Sigmoid", "Tanh"}
    assert all(r.verdict == "pass" for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}


def test_first_step_functions_that_drop_the_upstream_gradient_or_a_square_fail_as_wrong_not_crashed():
    _, verdicts = _check(HERE / "autograd_first_steps_buggy")
    assert {k: r.verdict for k, r in verdicts.items()} == {"Sigmoid": "fail", "Tanh": "fail"}
    assert all("crashed" not in r.bug_codes for r in verdicts.values())


def test_a_loss_function_returning_its_engines_value_is_set_aside_as_the_engines_gradient_not_failed():
    outcome, verdicts = _check(HERE / "autograd_steps")
    assert "binary_cross_entropy" not in verdicts
    (reason,) = [r for name, r in outcome.skipped if name == "binary_cross_entropy"]
    assert "autograd engine" in reason and "Value" in reason, reason


def test_a_loss_function_returning_a_plain_array_alone_still_fails_as_crashed():
    _, verdicts = _check(HERE / "loss_value_only")
    assert verdicts["binary_cross_entropy"].verdict == "fail"
    assert verdicts["binary_cross_entropy"].bug_codes == ["crashed"]


def test_a_layer_whose_backward_returns_dx_dw_and_db_is_read_from_what_it_returns():
    # a learners' model collects `d, dW, db = self.fc.backward(d)` and steps itself: the layer stores no dW
    outcome, verdicts = _check(HERE / "returned_gradients")
    assert outcome.errors == [] and set(verdicts) == {"Dense"}
    assert verdicts["Dense"].verdict in ("pass", "warn"), verdicts["Dense"].bug_codes
    assert set(verdicts["Dense"].to_dict()["gradients"]) == {"dx", "dW", "db"}


def test_a_returned_dw_divided_by_the_batch_is_extra_batch_mean():
    _, verdicts = _check(HERE / "returned_gradients_buggy")
    assert verdicts["Dense"].verdict == "fail" and verdicts["Dense"].bug_codes == ["extra-batch-mean"]


def test_an_activation_whose_backward_takes_its_input_is_checked_as_the_derivative_and_says_so():
    # `dZ = dA * self.activation.backward(self.z)`: backward(z) is f'(z), recognised from its argument's name
    outcome, verdicts = _check(HERE / "derivative_activations")
    assert outcome.errors == [] and set(verdicts) == {"Tanh", "Sigmoid", "Softmax"}
    # a softmax's elementwise derivative can only be its Jacobian's diagonal: judged as that, and said
    assert verdicts["Softmax"].verdict == "warn" and "diagonal of its Jacobian" in str(verdicts["Softmax"].to_dict())
    for name, argument in (("Tanh", "z"), ("Sigmoid", "inputs")):
        report = verdicts[name]
        assert report.verdict == "warn", report.bug_codes
        assert f"{name}.backward({argument}) takes the layer's input and returns the local derivative" in \
            str(report.to_dict())


def test_a_derivative_at_the_wrong_array_fails_and_an_upstream_named_argument_is_never_read_as_the_input():
    _, verdicts = _check(HERE / "derivative_activations_buggy")
    assert verdicts["Tanh"].verdict == "fail" and verdicts["Tanh"].bug_codes == ["wrong-input"]
    # backward(grad) returning s * (1 - s): the upstream gradient dropped, a bug, not this convention
    assert verdicts["Sigmoid"].verdict == "fail" and "crashed" not in verdicts["Sigmoid"].bug_codes
    assert "takes the layer's input" not in str(verdicts["Sigmoid"].to_dict())
    assert verdicts["Softmax"].verdict == "fail"  # s * (1 + s) is not the diagonal either


def test_function_pairs_whose_backward_takes_forwards_own_arguments_are_called_with_them():
    # flatten_forward(input) -> out, flatten_backward(grad, input): no cache, forward returns the array alone
    outcome, verdicts = _check(HERE / "function_inputs")
    assert outcome.errors == [] and set(verdicts) == {"sigmoid", "flatten"}
    assert all(r.verdict == "pass" for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}


def test_mirrored_function_pairs_with_a_wrong_derivative_or_a_misshapen_dx_fail_with_their_codes():
    _, verdicts = _check(HERE / "function_inputs_buggy")
    assert verdicts["sigmoid"].verdict == "fail" and "crashed" not in verdicts["sigmoid"].bug_codes
    assert verdicts["flatten"].bug_codes == ["wrong-shape"]


def test_function_pairs_whose_backward_takes_the_tuple_of_inputs_and_the_cache_are_called_so():
    # prelu_forward(input, slope) -> (out, None), prelu_backward(grad, inputs, cache) with x, slope = inputs
    outcome, verdicts = _check(HERE / "function_inputs_cache")
    assert outcome.errors == [] and set(verdicts) == {"tanh", "prelu"}
    assert all(r.verdict == "pass" for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}
    assert set(verdicts["prelu"].to_dict()["gradients"]) == {"dx", "dslope"}


def test_an_inputs_and_cache_prelu_whose_slope_gradient_is_a_batch_mean_is_extra_batch_mean():
    _, verdicts = _check(HERE / "function_inputs_cache_buggy")
    assert verdicts["prelu"].verdict == "fail" and verdicts["prelu"].bug_codes == ["extra-batch-mean"]
    assert verdicts["tanh"].verdict == "fail" and "crashed" not in verdicts["tanh"].bug_codes


def test_a_convolution_built_from_channels_and_one_kernel_size_is_built_and_refuses_only_non_square_filters():
    # Conv2D(in_channels, out_channels, kernel_size, stride, pad): its own filters are k by k, and backward relies on it
    outcome, verdicts = _check(HERE / "sized_conv", examples=20)
    assert outcome.errors == [] and set(verdicts) == {"Conv2D"}
    report = verdicts["Conv2D"]
    assert report.verdict == "warn", (report.bug_codes, report.error)
    assert "is built from one kernel_size, so it takes square filters only" in str(report.to_dict())


def test_a_sized_convolution_that_overwrites_dw_over_the_windows_is_dropped_term():
    _, verdicts = _check(HERE / "sized_conv_buggy", examples=20)
    assert verdicts["Conv2D"].verdict == "fail" and verdicts["Conv2D"].bug_codes == ["dropped-term"]


def test_a_library_whose_base_call_records_inputs_keeps_weights_in_attributes_and_calls_through_call_where_read():
    # Dense keeps W, b and reads its own self.x: the class-style convention, as before; ReLU reads self.inputs,
    # which only Layer.__call__ sets: it is called (it crashed when forwarded)
    outcome, verdicts = _check(HERE / "layer_base_call")
    assert outcome.errors == [] and set(verdicts) == {"Dense", "ReLU"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}
    assert set(verdicts["Dense"].to_dict()["gradients"]) == {"dx", "dW", "db"}


def test_a_function_pair_whose_backward_takes_forwards_arguments_then_the_gradient_is_called_so():
    # prelu_forward(x, alpha=0.2) -> out, prelu_backward(x, alpha, grad_output) -> (grad_x, grad_alpha)
    outcome, verdicts = _check(HERE / "function_inputs_last")
    assert outcome.errors == [] and verdicts["prelu"].verdict == "pass", verdicts["prelu"].bug_codes
    _, buggy = _check(HERE / "function_inputs_last_buggy")
    assert buggy["prelu"].verdict == "fail" and buggy["prelu"].bug_codes == ["misrouted"]
