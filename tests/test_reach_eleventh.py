"""Functions written to be called another way than gradlab calls a layer of their kind are set aside with why, never
failed `crashed`: a call that does not bind (a loss taking the model for its regularisation term) and settings taken
as numbers where gradlab hands the course's settings dict. A TypeError raised by the user's own line for another
reason stays a crash. Fixtures in tests/reach11/, written for these tests in the hipsternet style."""

from __future__ import annotations

from pathlib import Path

from gradlab.cases.check_many import check_paths
from gradlab.conventions.call_mismatch import called_otherwise

HERE = Path(__file__).parent / "reach11"


def _outcome():
    outcome = check_paths([HERE / "scalar_settings.py"], examples=4, seed=0)
    return outcome, {r.name: r for r in outcome.reports}, dict(outcome.skipped)


def test_a_pool_taking_its_size_and_stride_as_numbers_is_given_them_by_name_and_passes():
    # once set aside (gradlab passed the course's settings dict); 8685a4f gives the window and stride by their names
    _, reports, skipped = _outcome()
    assert "avgpool" not in skipped
    assert reports["avgpool"].verdict == "pass"


def test_a_loss_taking_the_model_first_is_set_aside_as_called_otherwise_not_failed():
    _, reports, skipped = _outcome()
    assert "squared_loss" not in reports
    assert "takes other arguments than gradlab gives" in skipped["squared_loss"]


def test_a_type_error_of_the_users_own_line_is_still_a_crash():
    _, reports, _ = _outcome()
    assert reports["tanh"].verdict == "fail" and reports["tanh"].bug_codes == ["crashed"]


def test_only_a_binding_error_outside_the_users_lines_or_a_dict_used_as_a_number_inside_them_counts():
    binding = TypeError("f() missing 1 required positional argument: 'y_train'")
    assert called_otherwise(binding, raised_in_user_code=False) is not None
    assert called_otherwise(binding, raised_in_user_code=True) is None  # the user's own call inside the layer
    as_number = TypeError("unsupported operand type(s) for /: 'int' and 'dict'")
    assert called_otherwise(as_number, raised_in_user_code=True) is not None
    assert called_otherwise(TypeError("object of type 'NoneType' has no len()"), raised_in_user_code=True) is None
    assert called_otherwise(ValueError("missing 1 required positional argument"), raised_in_user_code=False) is None


def test_a_reshape_a_bug_made_impossible_is_a_crash_though_a_transpose_after_it_writes_numbers():
    # `.reshape(N, H, W, C).transpose(0, 3, 1, 2)`: the 2 is an axis of the transpose, not a size the code fixes
    _, reports, skipped = _outcome()
    assert "spatial_batchnorm" not in skipped
    # since session 31 a case where it runs is searched for and its code comes first (cases.runs_elsewhere); the
    # crash is still reported
    assert reports["spatial_batchnorm"].verdict == "fail" and "crashed" in reports["spatial_batchnorm"].bug_codes


def test_a_function_taking_fewer_arguments_than_its_kind_is_still_the_users_crash_not_called_otherwise():
    # a backward that forgot its dout argument is written code that crashes (test_real_code_seventh's first chapter)
    assert called_otherwise(TypeError("backward() takes 1 positional argument but 2 were given"),
                            raised_in_user_code=False) is None
