"""Layers, activation objects and loss objects of the numpy deep-learning libraries, checked as they are written.

`tests/numpy_library/` holds files written for these tests in two libraries' conventions: `minilib/` as
ML-From-Scratch writes them (forward_pass/backward_pass, set_input_shape, initialize(optimizer) and an
update inside backward, activation objects with gradient(x), an Activation(name) layer, a loss object),
`dict_layers.py` as numpy-ml does (sized at the first forward, parameters/gradients dicts, += and
flush_gradients). The correct folder passes; each buggy twin is one edit of it and fails with its code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from gradlab.cases.check_many import check_paths
from gradlab.conventions.discover import discover
from gradlab.conventions.library_layers import LibraryLayer
from gradlab.kinds import KINDS

FOLDER = Path(__file__).parent / "numpy_library"
EXAMPLES = 12


def _reports(path: Path) -> dict[str, object]:
    outcome = check_paths([path], examples=EXAMPLES, seed=0)
    assert not outcome.errors, outcome.errors
    return {r.name: r for r in outcome.reports}


@pytest.fixture(scope="module")
def correct() -> dict[str, object]:
    return _reports(FOLDER)


def _twin(tmp_path: Path, file: str, old: str, new: str) -> Path:
    folder = tmp_path / "numpy_library"
    shutil.copytree(FOLDER, folder, ignore=shutil.ignore_patterns("__pycache__"))
    text = (folder / file).read_text()
    assert text.count(old) == 1, f"the edit must hit one line of {file}: {old!r}"
    (folder / file).write_text(text.replace(old, new))
    return folder


def test_every_layer_and_object_of_the_correct_library_folder_passes(correct):
    assert {"Dense", "BatchNormalization", "Dropout", "Activation[relu]", "Activation[sigmoid]", "Activation[tanh]",
            "Activation[softmax]", "Sigmoid", "TanH", "ReLU", "Softmax", "SquareLoss", "FullyConnected",
            "BatchNorm1D"} <= set(correct)
    assert {n: (r.verdict, r.bug_codes) for n, r in correct.items() if r.verdict == "fail"} == {}


def test_a_softmax_whose_gradient_is_its_jacobians_diagonal_passes_with_a_warning_that_says_so(correct):
    for name in ("Softmax", "Activation[softmax]"):
        report = correct[name]
        assert report.verdict == "warn", name
        assert any("diagonal of its Jacobian" in w.message for w in report.warnings), name
    # an element-wise activation has no such warning: the diagonal is its whole Jacobian
    assert not any("Jacobian" in w.message for w in correct["Sigmoid"].warnings)


def test_an_activation_object_of_a_name_gradlab_does_not_know_is_skipped_with_what_to_write():
    skipped = dict(s for found in discover([FOLDER / "minilib"]) for s in found.skipped)
    assert "kind=" in skipped["Swish2"]
    assert skipped["Activation[swish2]"] == "swish2: an activation gradlab has no kind for"


def test_a_model_with_loss_and_gradient_methods_is_not_taken_for_a_loss_object(tmp_path):
    # the textbook's TwoLayerNet has loss(x, t) and gradient(x, t) too: it is a model (gradlab.models checks it)
    net = tmp_path / "two_layer_net.py"
    net.write_text("class TwoLayerNet:\n"
                   "    def predict(self, x):\n        return x\n"
                   "    def loss(self, x, t):\n        return 0.0\n"
                   "    def gradient(self, x, t):\n        return {}\n")
    found = discover([net])[0]
    assert not found.entries and "TwoLayerNet" not in dict(found.skipped)


def test_a_relative_import_the_layer_makes_when_called_finds_its_own_package(tmp_path):
    # numpy-ml's optimizer does `from ..initializers import ...` when it is built, long after the import
    package = tmp_path / "mylib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "helpers.py").write_text("def slope():\n    return 1.0\n")
    (package / "layers.py").write_text(
        "import numpy as np\n\n\n"
        "class Relu:\n"
        "    def forward(self, x):\n"
        "        from .helpers import slope\n"
        "        self.mask = x > 0\n"
        "        return np.where(self.mask, slope() * x, 0.0)\n\n"
        "    def backward(self, dout):\n"
        "        from .helpers import slope\n"
        "        return np.where(self.mask, slope() * dout, 0.0)\n")
    outcome = check_paths([package / "layers.py"], examples=EXAMPLES, seed=0)
    assert [(r.name, r.verdict) for r in outcome.reports] == [("Relu", "pass")], outcome.skipped


def test_a_library_layer_gradlab_cannot_build_is_skipped_as_not_checked_never_failed():
    # numpy-ml's Dropout wraps another layer, its convolutions are channels-last: not checked, which is no failure
    outcome = check_paths([FOLDER / "dict_layers.py"], examples=EXAMPLES, seed=0)
    assert "Dropout" not in [r.name for r in outcome.reports]
    assert "wrapped_layer" in dict(outcome.skipped)["Dropout"]


@pytest.mark.parametrize("file, old, new, failing, code", [
    # the gradient read off the update at learning rate 1, and dx taken with the weights already updated
    ("minilib/layers.py", "        return accum_grad @ W.T\n", "        return accum_grad @ self.W.T\n", ["Dense"],
     "stale-parameters"),
    ("minilib/layers.py", "        grad_w = self.layer_input.T @ accum_grad\n",
     "        grad_w = self.layer_input.T @ accum_grad / len(accum_grad)\n", ["Dense"], "extra-batch-mean"),
    ("minilib/layers.py", "        return gamma * self.stddev_inv / n * (n * accum_grad - accum_grad.sum(axis=0)\n",
     "        return gamma * self.stddev_inv / n * (n * accum_grad\n", ["BatchNormalization"], "dropped-term"),
    ("minilib/layers.py", "        return accum_grad * self.mask\n", "        return accum_grad\n", ["Dropout"],
     "missing-mask"),
    # an activation object's gradient, and the Activation(name) layer built on it
    ("minilib/activations.py", "        s = self(x)\n", "        s = x\n", ["Sigmoid", "Activation[sigmoid]"],
     "wrong-input"),
    ("minilib/activations.py", "        return p * (1 - p)\n", "        return 2 * p * (1 - p)\n",
     ["Softmax", "Activation[softmax]"], "scaled"),
    ("minilib/losses.py", "        return p - y\n", "        return y - p\n", ["SquareLoss"], "sign-flip"),
    # numpy-ml's dicts: a gradient never accumulated stays at the zeros gradlab put there
    ("dict_layers.py", '            self.gradients["b"] += dLdy.sum(axis=0, keepdims=True)\n', "            pass\n",
     ["FullyConnected"], "zero-gradient"),
    # numpy-ml's BatchNorm1D (scaler and intercept for gamma and beta): dintercept a mean where a sum belongs
    ("dict_layers.py", '            self.gradients["intercept"] += dLdy.sum(axis=0)\n',
     '            self.gradients["intercept"] += dLdy.mean(axis=0)\n', ["BatchNorm1D"], "extra-batch-mean"),
])
def test_a_one_edit_bug_in_a_library_convention_fails_with_its_code(tmp_path, correct, file, old, new, failing,
                                                                      code):
    reports = _reports(_twin(tmp_path, file, old, new))
    failed = {n: r.bug_codes for n, r in reports.items() if r.verdict == "fail"}
    assert set(failed) == set(failing)
    for name in failing:
        assert failed[name][0] == code, (name, failed[name])


def test_a_dx_taken_from_the_updated_weights_is_told_as_such_not_as_an_update_inside_backward(tmp_path):
    twin = _twin(tmp_path, "minilib/layers.py", "        return accum_grad @ W.T\n",
                 "        return accum_grad @ self.W.T\n")
    report = _reports(twin)["Dense"]
    stale = [f.message for f in report.failing.findings if f.code == "stale-parameters"]
    assert stale and "dx was computed from parameters already updated" in stale[0]
    assert "before the optimizer's update" in report.hints["stale-parameters"]


def test_gradients_accumulated_with_plus_equals_are_zeroed_before_each_backward():
    import importlib.util

    spec = importlib.util.spec_from_file_location("dict_layers_for_test", FOLDER / "dict_layers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kind = KINDS["affine"]
    case = kind.case({"N": 3, "in_shape": (4,), "out": 2, "seed": 1, "scale": 1.0})
    layer = LibraryLayer(module.FullyConnected, kind, case)
    G = np.random.default_rng(0).standard_normal((3, 2))
    layer.forward(case.x, None)
    _, first = layer.backward(G)
    _, second = layer.backward(G)
    np.testing.assert_allclose(first["W"], case.x.T @ G)
    np.testing.assert_allclose(second["W"], first["W"])  # not twice the gradient
