"""The first volume's computational-graph nodes (MulLayer, AddLayer: two inputs, a gradient for each) and Flatten.

Layers here are this file's own, written in the conventions readers of the book and learners' libraries use:
`forward(x, y)` / `backward(dout) -> (dx, dy)` on numbers or arrays; Flatten as a class and as a CS231n-style pair.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.discover import discover, entry_for
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS
from gradlab.kinds import KINDS, kind_for_class, kind_for_stem

ZOO = {n: e for n, e in load_reference().items() if e.kind in ("mul_layer", "add_layer", "flatten_layer")}


class MulLayer:
    def __init__(self):
        self.x = self.y = None

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class MulLayerOwnFactor(MulLayer):
    def backward(self, dout):
        return dout * self.x, dout * self.x  # dx: x's own value where y belongs


class MulLayerDyOwnFactor(MulLayer):
    def backward(self, dout):
        return dout * self.y, dout * self.y  # dy: y's own value where x belongs


class MulLayerDoubled(MulLayer):
    def backward(self, dout):
        return 2 * dout * self.y, dout * self.x  # a factor, not the own-input slip


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout * 1, dout * 1


class AddLayerForgetsDy(AddLayer):
    def backward(self, dout):
        return dout  # one gradient where the node has two inputs


class Flatten:
    def forward(self, x):
        self.shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.shape)


class FlattenForgetsShape(Flatten):
    def backward(self, dout):
        return dout


def _check(layer, kind: str, examples: int = 10):
    return check_entry(entry_for(layer, kind=kind), examples=examples, seed=0)


@pytest.mark.parametrize("name", sorted(n for n, e in ZOO.items() if not e.is_buggy))
def test_each_correct_reference_layer_of_the_three_kinds_passes(name):
    report = check_entry(ZOO[name], examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes


@pytest.mark.parametrize("name", sorted(n for n, e in ZOO.items() if e.is_buggy))
def test_each_buggy_zoo_variant_of_the_three_kinds_fails_with_its_intended_code_first(name):
    report = check_entry(ZOO[name], examples=10, seed=0)
    assert report.verdict == FAIL
    assert report.bug_codes[0] == ZOO[name].bug, report.bug_codes


def test_every_kind_has_a_buggy_zoo_variant_and_flatten_one_in_each_convention():
    buggy = {(e.kind, e.convention) for e in ZOO.values() if e.is_buggy}
    assert {("mul_layer", "class"), ("add_layer", "class"), ("flatten_layer", "class"),
            ("flatten_layer", "function")} <= buggy


def test_the_books_mul_and_add_layers_in_a_file_are_recognised_and_pass_on_both_of_their_inputs(tmp_path, capsys):
    path = tmp_path / "layer_naive.py"
    path.write_text(
        "class MulLayer:\n"
        "    def __init__(self):\n        self.x = None\n        self.y = None\n\n"
        "    def forward(self, x, y):\n        self.x = x\n        self.y = y\n        return x * y\n\n"
        "    def backward(self, dout):\n        dx = dout * self.y\n        dy = dout * self.x\n"
        "        return dx, dy\n\n\n"
        "class AddLayer:\n"
        "    def forward(self, x, y):\n        return x + y\n\n"
        "    def backward(self, dout):\n        return dout * 1, dout * 1\n")
    assert main(["check", str(path), "--examples", "5", "--no-fix-search"]) == 0
    out = capsys.readouterr().out
    assert "PASS MulLayer " in out and "PASS AddLayer " in out and "dy " in out, out
    # the book calls them on plain numbers first: the layers gradlab recognised do just that
    found = {e.name: e.target for f in discover([path]) for e in f.entries}
    apple = found["MulLayer"]()
    assert apple.forward(100, 2) == 200 and apple.backward(1.1) == pytest.approx((2.2, 110))


@pytest.mark.parametrize("layer, gradient", [(MulLayerOwnFactor, "dx"), (MulLayerDyOwnFactor, "dy")])
def test_a_products_gradient_written_with_its_own_input_is_wrong_input_naming_the_other_factor(layer, gradient):
    report = _check(layer, "mul_layer")
    assert report.verdict == FAIL and report.bug_codes[0] == "wrong-input", report.bug_codes
    failing = next(g for g in report.failing.gradients if g.name == gradient)
    own, other = ("x", "y") if gradient == "dx" else ("y", "x")
    assert f"dout * {own}, where dout * {other} belongs" in failing.diagnosis


def test_the_own_input_reading_keeps_a_constant_factor_scaled():
    report = _check(MulLayerDoubled, "mul_layer")
    assert report.bug_codes[0] == "scaled", report.bug_codes


def test_the_own_input_reading_holds_with_samples_as_columns(tmp_path, capsys):
    path = tmp_path / "columns.py"
    path.write_text(
        "class MulLayer:\n"
        "    def forward(self, x, y):\n        self.x, self.y = x, y\n        return x * y\n\n"
        "    def backward(self, dout):\n        return dout * self.x, dout * self.x\n")
    main(["check", str(path), "--layout", "columns", "--examples", "5", "--no-fix-search"])
    out = capsys.readouterr().out
    assert "FAIL MulLayer" in out and "[wrong-input]" in out, out


def test_with_samples_as_columns_y_is_handed_over_as_x_is_and_a_correct_layer_passes(tmp_path, capsys):
    """y holds one sample per row in gradlab's cases; with --layout columns it comes transposed, as x does."""
    path = tmp_path / "columns.py"
    path.write_text(
        "class MulLayer:\n"
        "    def forward(self, x, y):\n        assert x.shape == y.shape\n        self.x, self.y = x, y\n"
        "        return x * y\n\n"
        "    def backward(self, dout):\n        return dout * self.y, dout * self.x\n")
    assert main(["check", str(path), "--layout", "columns", "--examples", "5", "--no-fix-search"]) == 0, \
        capsys.readouterr().out


def test_an_add_layer_that_returns_one_gradient_for_its_two_inputs_crashes_saying_both_are_expected():
    report = _check(AddLayerForgetsDy, "add_layer")
    assert report.bug_codes[0] == "crashed"
    assert "expected (dx, dy)" in " ".join(g.diagnosis for g in report.failing.gradients) + str(report.failing)


def test_a_flatten_gradient_left_flat_or_put_back_with_h_and_w_swapped_is_wrong_shape(tmp_path, capsys):
    assert _check(Flatten, "flatten_layer").verdict == PASS
    report = _check(FlattenForgetsShape, "flatten_layer")
    assert report.bug_codes[0] == "wrong-shape", report.bug_codes
    path = tmp_path / "layers.py"
    path.write_text(
        "def flatten_forward(x):\n    N, C, H, W = x.shape\n    return x.reshape(N, -1), (N, C, H, W)\n\n\n"
        "def flatten_backward(dout, cache):\n    N, C, H, W = cache\n    return dout.reshape(N, C, W, H)\n")
    main(["check", str(path), "--examples", "5", "--no-fix-search"])
    out = capsys.readouterr().out
    assert "FAIL flatten (function style" in out and "[wrong-shape]" in out, out


class FlattenOneD:
    """CMU 11-785's MyTorch: 1-D convolutions, A is (N, C, W), flattened by naming its two axes."""

    def forward(self, A):
        self.A = A
        return np.reshape(A, (A.shape[0], A.shape[1] * A.shape[2]))

    def backward(self, dLdZ):
        return np.reshape(dLdZ, self.A.shape)


class FlattenOneDNotReshaped(FlattenOneD):
    def backward(self, dLdZ):
        return dLdZ


class FlattenImagesOnly(Flatten):
    def forward(self, x):
        N, C, H, W = x.shape  # images only: a 3-D input would not unpack
        self.shape = x.shape
        return x.reshape(N, C * H * W)


def test_a_flatten_of_one_d_feature_maps_is_checked_on_them_and_its_bug_still_shows():
    """Probed on (N, C, H, W), the 1-D course's layer cannot reshape to (N, C * W): it is checked on (N, C, W)."""
    with pytest.raises(ValueError):  # on images it cannot run at all: a pass means it was checked on (N, C, W)
        FlattenOneD().forward(np.zeros((2, 2, 3, 4)))
    report = _check(FlattenOneD, "flatten_layer")
    assert report.verdict == PASS, report.bug_codes
    assert _check(FlattenOneDNotReshaped, "flatten_layer").bug_codes[0] == "wrong-shape"


def test_a_flatten_written_for_images_only_is_checked_on_images_only():
    assert _check(FlattenImagesOnly, "flatten_layer").verdict == PASS


def test_flatten_is_refused_with_samples_as_columns_in_one_line():
    from gradlab.conventions.layouts import refusal

    why = refusal(KINDS["flatten_layer"])
    assert why is not None and "without --layout columns" in why


def test_names_that_mean_another_computation_in_the_wild_are_not_taken_for_these_kinds():
    assert kind_for_class("MulLayer") is KINDS["mul_layer"] and kind_for_class("Mullayer") is KINDS["mul_layer"]
    assert kind_for_class("MultiplyLayer") is KINDS["mul_layer"]
    assert kind_for_class("AddLayer") is KINDS["add_layer"] and kind_for_class("Add") is KINDS["add_layer"]
    assert kind_for_class("FlattenLayer") is KINDS["flatten_layer"] and kind_for_stem("flatten") is \
        KINDS["flatten_layer"]
    # DeZero's Mul(Function) reads self.inputs, set by its __call__ only; the tutorials' MultiplyGate is W @ x
    assert kind_for_class("Mul") is None and kind_for_class("MultiplyGate") is None
    assert kind_for_class("AddGate") is None


def test_a_dezero_style_mul_is_skipped_and_its_add_passes(tmp_path, capsys):
    path = tmp_path / "core_simple.py"
    path.write_text(
        "import numpy as np\n\n\n"
        "class Function:\n"
        "    def __call__(self, *inputs):\n        self.inputs = inputs\n"
        "        return self.forward(*[x.data for x in inputs])\n\n"
        "    def forward(self, *xs):\n        raise NotImplementedError()\n\n"
        "    def backward(self, gy):\n        raise NotImplementedError()\n\n\n"
        "class Add(Function):\n"
        "    def forward(self, x0, x1):\n        return x0 + x1\n\n"
        "    def backward(self, gy):\n        return gy, gy\n\n\n"
        "class Mul(Function):\n"
        "    def forward(self, x0, x1):\n        return x0 * x1\n\n"
        "    def backward(self, gy):\n        x0, x1 = self.inputs[0].data, self.inputs[1].data\n"
        "        return gy * x1, gy * x0\n")
    main(["check", str(path), "--examples", "5", "--no-fix-search"])
    out = capsys.readouterr().out
    assert "PASS Add " in out and "SKIP Mul:" in out and "FAIL" not in out, out


def test_an_add_whose_forward_takes_a_list_of_inputs_is_skipped_saying_it_takes_no_second_input(tmp_path, capsys):
    """DeZero's first steps: `Add.forward(xs)` takes a tuple and returns one; not the book's forward(x, y)."""
    path = tmp_path / "step11.py"
    path.write_text(
        "class Add:\n"
        "    def forward(self, xs):\n        x0, x1 = xs\n        return (x0 + x1,)\n\n"
        "    def backward(self, gys):\n        return gys\n")
    main(["check", str(path), "--examples", "5", "--no-fix-search"])
    out = capsys.readouterr().out
    assert "SKIP Add: its forward takes no second input, so it is not the kind add_layer (forward(x, y))" in out, out
    assert "FAIL" not in out


def test_the_grader_scores_the_nodes_and_flatten_in_its_sandbox_and_names_a_slip(tmp_path):
    from gradlab.grading.assignment import load_assignment
    from gradlab.grading.grader import grade_submission

    toml = tmp_path / "ch05.toml"
    toml.write_text('name = "ch05"\ntitle = "graph nodes"\nconvention = "class"\nseed = 1\nexamples = 4\n'
                    + "".join(f'[[layers]]\nname = "{n}"\npoints = 10\n' for n in ("MulLayer", "AddLayer", "Flatten")))
    source = (
        "import numpy as np\n\n\n"
        "class MulLayer:\n"
        "    def forward(self, x, y):\n        self.x, self.y = x, y\n        return x * y\n\n"
        "    def backward(self, dout):\n        return dout * self.y, dout * self.x\n\n\n"
        "class AddLayer:\n"
        "    def forward(self, x, y):\n        return x + y\n\n"
        "    def backward(self, dout):\n        return dout, dout\n\n\n"
        "class Flatten:\n"
        "    def forward(self, x):\n        self.shape = x.shape\n        return x.reshape(x.shape[0], -1)\n\n"
        "    def backward(self, dout):\n        return dout.reshape(self.shape)\n")
    good, bad = tmp_path / "good.py", tmp_path / "bad.py"
    good.write_text(source)
    bad.write_text(source.replace("return dout * self.y, dout * self.x", "return dout * self.x, dout * self.x"))
    assignment = load_assignment(toml)
    assert grade_submission(good, assignment).score == 30
    graded = {layer.name: layer for layer in grade_submission(bad, assignment).layers}
    assert graded["MulLayer"].score < 10 and graded["MulLayer"].bug_codes == ["wrong-input"]
    assert graded["AddLayer"].score == graded["Flatten"].score == 10
