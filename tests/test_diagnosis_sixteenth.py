"""One-bug layers of our own in the patterns gradlab misnamed on the fourteenth held-out set (issue 14), kept in
tests/reach15/diagnosis; each reading is tested on the layer, not on the fixture's text:
- a loss whose backward writes into its targets (self.t -= self.p) is mutates-input, as one writing into x is; the
  backward's writes were compared for x only, and the second backward's changed dx read as a plain mismatch;
- a loss averaged over every element (np.mean of a squared error) whose dx is N*D times too large or small is
  missing-batch-mean / extra-batch-mean, not scaled, when the factor follows the batch (it doubles when the batch does);
- an L1 loss's sign taken off the prediction (np.sign(y) where np.sign(y - t) belongs) is wrong-input, tested by a
  forward on x - t; a sign taken off another array is mismatch: in a gradient whose elements share one magnitude every
  wrong sign is an exact negative, no evidence of a flipped term (it read sign-flip)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths

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

