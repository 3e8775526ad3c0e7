"""One-bug layers of our own in the patterns gradlab misnamed on the fourteenth held-out set (issue 14), kept in
tests/reach15/diagnosis; each reading is tested on the layer, not on the fixture's text:
- a loss whose backward writes into its targets (self.t -= self.p) is mutates-input, as one writing into x is; the
  backward's writes were compared for x only, and the second backward's changed dx read as a plain mismatch;
- a loss averaged over every element (np.mean of a squared error) whose dx is N*D times too large or small is
  missing-batch-mean / extra-batch-mean, not scaled, when the factor follows the batch (it doubles when the batch does);
- an L1 loss's sign taken off the prediction (np.sign(y) where np.sign(y - t) belongs) is wrong-input, tested by a
  forward on x - t; a sign taken off another array is mismatch: in a gradient whose elements share one magnitude every
  wrong sign is an exact negative, no evidence of a flipped term (it read sign-flip);
- a Nielsen network whose output delta takes sigmoid_prime(activations[-1]) while its hidden deltas take z is
  wrong-input, tested by mapping back the argument of that one call (told apart by its shape); one whose hidden delta
  multiplies by w untransposed crashes on the product, and where the sizes are equal runs wrong: transposed first;
- a pool whose backward crashes on some windows (non-square) and misroutes on the others is named misrouted, the crash
  said after it: a second search looks for a case that runs when the smallest failing case crashed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.models.check import check_model

HERE = Path(__file__).parent / "reach15" / "diagnosis"


def _report(name: str, examples: int = 6):
    (report,) = check_paths([HERE / name], examples=examples, seed=0).reports
    return report


def _codes(report) -> list[str]:
    return [f.code for f in report.failing.findings] if report.failing is not None else []


@pytest.mark.parametrize("name", ["loss_writes_t.py", "loss_writes_x.py", "relu_function.py", "mutates_backward.py"])
def test_a_backward_that_writes_into_x_or_t_is_named_mutates_input_first(name):
    report = _report(name)
    assert report.verdict == "fail"
    assert _codes(report)[0] == "mutates-input"


def _code(name: str) -> str:
    report = _report(name)
    assert report.verdict == "fail"
    return report.bug_codes[0]


def test_a_mean_squared_error_over_every_element_without_its_mean_is_missing_batch_mean_not_scaled():
    assert _code("mse_class.py") == "missing-batch-mean"


def test_a_mean_squared_error_divided_by_its_element_count_twice_is_extra_batch_mean():
    assert _code("mse_function.py") == "extra-batch-mean"


def test_an_l1_loss_taking_the_sign_of_the_prediction_is_wrong_input_not_a_flipped_term():
    assert _code("l1_loss.py") == "wrong-input"


def test_a_mean_absolute_error_taking_the_sign_of_another_array_is_a_mismatch_not_a_flipped_or_dropped_term():
    assert _code("mae_function.py") == "mismatch"


def _network(name: str) -> type:
    spec = importlib.util.spec_from_file_location(f"reach15_{name}", HERE / "nielsen" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Network


def test_a_nielsen_network_taking_sigmoid_prime_of_the_output_activation_is_wrong_input_at_that_layer():
    report = check_model(_network("network_at_a"), examples=2)
    assert report.bug_codes == ["wrong-input"]
    assert report.origin == "weights[1]"
    assert "(7, 1)" in report.gradients["weights[1]"].diagnosis


def test_a_nielsen_network_multiplying_by_w_where_its_transpose_belongs_is_transposed_before_crashed():
    report = check_model(_network("network_delta_untransposed"), examples=2)
    assert report.bug_codes[:2] == ["transposed", "crashed"]
    assert report.gradients["weights[0]"].bug_code == "transposed"


def test_a_nielsen_network_with_its_weight_gradient_transposed_stays_transposed():
    assert check_model(_network("network_transposed"), examples=2).bug_codes == ["transposed"]


def test_a_pool_that_crashes_on_some_windows_and_misroutes_on_the_others_is_misrouted_then_crashed():
    report = _report("pool_im2col_crash.py", examples=20)
    assert report.bug_codes == ["misrouted", "crashed"]


def test_a_pool_that_misroutes_on_every_window_is_misrouted():
    assert _report("pool_im2col.py").bug_codes == ["misrouted"]
