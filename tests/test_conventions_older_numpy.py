"""Course code written for an older numpy, or for Python 2, is set aside with the reason, not failed as a crash.

CS231n solutions from before numpy 2 write `np.reshape(dx, newshape=x.shape)`, `np.float_`, `np.int`: on
today's numpy those raise, and the layer is not wrong. The files below are written that way (our own code):
the layer is skipped saying which numpy API is gone and what to write; a crash of the code's own (a
keyword argument numpy never had) stays a failure.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.conventions.calling import cannot_run_here

AFFINE = '''
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = np.reshape(dout @ w.T, {keyword}x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db
'''


def _check(tmp_path: Path, source: str) -> dict:
    path = tmp_path / "layers.py"
    path.write_text(source)
    out = tmp_path / "out.json"
    main(["check", str(path), "--json", str(out), "--examples", "10", "--no-fix-search"])
    return json.loads(out.read_text())


def test_a_layer_calling_reshape_with_newshape_is_skipped_as_written_for_an_older_numpy(tmp_path):
    result = _check(tmp_path, AFFINE.format(keyword="newshape="))
    assert result["layers"] == []
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "affine"]
    assert reason.startswith("could not be run: it was written for an older numpy"), reason
    assert "np.reshape(a, s)" in reason


def test_the_same_layer_with_the_shape_by_position_is_checked_and_passes(tmp_path):
    (layer,) = _check(tmp_path, AFFINE.format(keyword=""))["layers"]
    assert layer["verdict"] == "pass", layer


def test_a_keyword_numpy_never_took_is_the_codes_own_crash(tmp_path):
    (layer,) = _check(tmp_path, AFFINE.format(keyword="shape_of="))["layers"]
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"] == ["crashed"]


def _raised(code: str) -> BaseException:
    import numpy as np

    try:
        exec(code, {"np": np})
    except Exception as exc:  # noqa: BLE001 - the exception is the subject of the test
        return exc
    raise AssertionError(f"{code} did not raise")


@pytest.mark.parametrize("code, says", [
    pytest.param("np.float_(1.0)", "np.float_", id="numpy-2-removed-float_"),
    pytest.param("np.zeros(2, dtype=np.int)", "np.int, np.float", id="numpy-1.24-removed-the-aliases"),
    pytest.param("np.reshape(np.zeros(4), newshape=(2, 2))", "pass the shape by position", id="newshape"),
])
def test_numpy_api_since_removed_is_read_as_code_that_cannot_run_here(code, says):
    reason = cannot_run_here(_raised(code))
    assert reason is not None and reason.startswith("could not be run: it was written for an older numpy")
    assert says in reason


@pytest.mark.parametrize("code, says", [
    pytest.param("[i for i in xrange(3)]", "write range", id="xrange"),
    pytest.param("{'W1': 1}.iteritems()", "write items", id="dict-iteritems"),
])
def test_names_only_python_2_had_are_read_as_code_written_for_python_2(code, says):
    reason = cannot_run_here(_raised(code))
    assert reason is not None and reason.startswith("could not be run: it was written for Python 2")
    assert says in reason


RELU_PY2 = '''
import numpy as np


def relu_forward(x):
    out = x.copy()
    for i in xrange(x.shape[0]):
        out[i] = np.maximum(x[i], 0)
    return out, x


def relu_backward(dout, cache):
    return dout * (cache > 0)
'''


def test_a_layer_looping_over_xrange_is_skipped_as_python_2_code(tmp_path):
    result = _check(tmp_path, RELU_PY2)
    assert result["layers"] == []
    (reason,) = [s["reason"] for s in result["skipped"] if s["name"] == "relu"]
    assert "written for Python 2" in reason


def test_the_same_layer_looping_over_range_is_checked(tmp_path):
    (layer,) = _check(tmp_path, RELU_PY2.replace("xrange", "range"))["layers"]
    assert layer["verdict"] == "pass"


@pytest.mark.parametrize("code", [
    pytest.param("np.zeros(3).reshape(2, 2)", id="a-wrong-shape"),
    pytest.param("[i for i in x_range(3)]", id="a-misspelt-name"),
    pytest.param("[1].iteritems()", id="iteritems-of-a-list-is-no-python-2-dict"),
    pytest.param("np.zeros(3).not_a_method()", id="an-attribute-the-array-never-had"),
])
def test_the_codes_own_bugs_are_not_blamed_on_numpy(code):
    assert cannot_run_here(_raised(code)) is None
