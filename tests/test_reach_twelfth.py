"""Conventions of published code that session 28's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach12/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths
from gradlab.cli.main import main

HERE = Path(__file__).parent / "reach12"


def _verdicts(path: Path, examples: int = 5) -> dict[str, tuple[str, list[str]]]:
    outcome = check_paths([path], examples=examples, seed=0)
    assert outcome.errors == []
    return {r.name: (r.verdict, r.bug_codes) for r in outcome.reports}


@pytest.mark.parametrize(("folder", "right", "buggy"), [
    # MaxPooling(kernel_size, stride) stores one size: its k x k windows crashed on a case whose window is 2 x 1
    ("square_pool", {"MaxPooling": "pass"}, {"MaxPooling": ["misrouted"]}),
    # forward and backward wrapped by a decorator without functools.wraps, wrapper(*args, **kwargs): gradlab read
    # **kwargs and gave train_flg, which the real forward(inputs) refused (21 layers of one library crashed)
    ("traced_module", {"Tanh": "pass", "Linear": "warn"}, {"Tanh": ["mismatch"], "Linear": ["extra-batch-mean"]}),
    # a transformer's gradients in self.gradients['dLdW'] / ['dLdGamma'] were never found (zero-gradient), and its
    # stateless ReLU.backward(x, dLdY) was given dout first (misrouted)
    ("leibniz_grads", {"Dense": "warn", "LayerNorm": "pass", "ReLU": "pass"},
     {"Dense": ["transposed"], "LayerNorm": ["wrong-reduction"], "ReLU": ["missing-mask"]}),
    # backward hands its gradients to self.optimizer.update([W, b], [dW, db]) (Adam by default) and keeps none: read
    # as stale-parameters and zero-gradient; its batch norm, left in the evaluation mode a call switches
    # (is_training(True)), normalised with running statistics while backward differentiated the batch's
    ("optimizer_inside", {"Linear": "warn", "BatchNorm1d": "pass"},
     {"Linear": ["extra-batch-mean"], "BatchNorm1d": ["sign-flip"]}),
    # backward(d_prev, prev_layer) reads its input as prev_layer.output: gradlab gave a learning rate (crashed)
    ("previous_layer", {"SigmoidLayer": "pass", "FlattenLayer": "pass"},
     {"SigmoidLayer": ["dropped-term"], "FlattenLayer": ["transposed"]}),
    # a linear classifier's loss summed over the batch plus one reg * ||W||^2: each sample asked alone carries the
    # whole penalty, and the batch-loss law read it as samples coupled (couples-samples)
    ("summed_with_penalty", {"softmax_loss_vectorized": "pass"}, {"softmax_loss_vectorized": ["extra-batch-mean"]}),
    # Reshape(output_shape), documented as a tuple, reshapes with inputs.reshape((N, self.output_shape)): given
    # gradlab's shape it crashed ("'tuple' object cannot be interpreted as an integer")
    ("count_shape", {"Reshape": "pass"}, {"Reshape": ["transposed"]}),
    # linear_forward(X, W, b) for X (B, D_in), named as deeplearning.ai names its column-layout layer: it refused
    # every case of that course's layout (its own shape check raises) and was set aside; it is checked in rows
    ("linear_rows", {"linear": "warn"}, {"linear": ["extra-batch-mean"]}),
    # self.params = {"w": Tensor(w), "b": Tensor(b)}, parameter objects with .data and .grad in a params dict: found
    # as attributes only, so 'keeps no parameter W' (crashed)
    ("tensor_dict", {"Linear": "warn"}, {"Linear": ["wrong-reduction"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_convention_found_in_published_code_passes_its_right_layers_and_fails_its_buggy_twin(folder, right, buggy):
    assert {k: v for k, (v, _) in _verdicts(HERE / folder).items()} == right
    assert {k: codes for k, (v, codes) in _verdicts(HERE / f"{folder}_buggy").items() if v == "fail"} == buggy


def test_only_a_pool_built_from_one_window_size_is_given_square_windows():
    from gradlab.cases.window_shapes import one_window_size, square_window
    from gradlab.conventions.registry import Entry
    from gradlab.kinds import KINDS

    class Pooling:  # the textbook's: a height and a width
        def __init__(self, pool_h, pool_w, stride=1, pad=0): ...

    class Pool2D:  # one size that defaults to a pair: given the pair
        def __init__(self, pool_size=(2, 2), stride=2): ...

    class MaxPool:
        def __init__(self, kernel_size, stride): ...

    def taken(cls: type, kind: str = "max_pool") -> bool:
        return one_window_size(Entry(cls.__name__, kind, "class", cls), KINDS[kind])

    assert (taken(Pooling), taken(Pool2D), taken(MaxPool), taken(MaxPool, "conv")) == (False, False, True, False)
    # a 2 x 1 window becomes 2 x 2 and the image as much wider as keeps its three output columns (stride 1)
    assert square_window({"H": 3, "W": 3, "pool_h": 2, "pool_w": 1, "stride": 1, "pad": 0}) == \
        {"H": 3, "W": 4, "pool_h": 2, "pool_w": 2, "stride": 1, "pad": 0}


def test_a_package_whose_top_folder_lacks_init_is_imported_with_its_two_level_relative_imports(monkeypatch):
    # cs231n/ without __init__.py, classifiers/ with one, `from ..helpers import ...` inside it: "attempted relative
    # import beyond top-level package" before; cs231n/ is a namespace portion of the package
    monkeypatch.chdir(HERE / "no_top_init")
    assert _verdicts(Path("cs231n")) == {"softmax_loss_vectorized": ("pass", [])}
    monkeypatch.chdir(HERE / "no_top_init_buggy")
    assert _verdicts(Path("cs231n"))["softmax_loss_vectorized"][0] == "fail"


def test_a_package_without_any_init_is_imported_with_its_two_level_relative_imports(monkeypatch):
    # neither cs231n/ nor classifiers/ holds an __init__.py (an upload that left them all out), and classifiers/
    # imports `from ..layers import ...`: the file was imported one level up only, and its import failed
    monkeypatch.chdir(HERE / "no_init_at_all")
    assert _verdicts(Path("cs231n")) == {"affine_relu": ("pass", []), "affine": ("pass", [])}
    monkeypatch.chdir(HERE / "no_init_at_all_buggy")
    assert _verdicts(Path("cs231n"))["affine_relu"] == ("fail", ["missing-mask"])


def test_a_layer_written_for_numpy_before_1_20_is_set_aside_with_the_reason_and_checked_once_it_runs():
    # its base class builds np.zeros(None) for a layer without weights: numpy 2 raises, so the layer is not the
    # one at fault; the same layer written for today's numpy is checked (its twin's bug is found)
    outcome = check_paths([HERE / "none_shape"], examples=3, seed=0)
    assert [r.name for r in outcome.reports] == []
    assert [(name, "older numpy" in why) for name, why in outcome.skipped if name == "Sigmoid"] == [("Sigmoid", True)]
    assert _verdicts(HERE / "none_shape_buggy")["Sigmoid"][0] == "fail"


@pytest.mark.parametrize(("folder", "verdict"), [("own_cost_net", "pass"), ("own_cost_net_buggy", "fail")])
def test_a_nielsen_network_is_judged_with_the_cost_its_own_method_declares(folder, verdict, tmp_path):
    # loss_function(y_true, y_pred) is the labels' log-likelihood and its derivative branch the delta a - y of the
    # cross-entropy cost: judged with the quadratic cost, every parameter read wrong; the twin multiplies that delta
    # by sigmoid'(z) once more
    out = tmp_path / "out.json"
    main(["check", str(HERE / folder), "--no-fix-search", "--examples", "2", "--json", str(out)])
    assert [(e["name"], e["verdict"]) for e in json.loads(out.read_text())["layers"]] == [("Network", verdict)]


def test_a_demo_driving_a_layer_object_is_no_generic_function_and_a_function_of_an_array_still_is(tmp_path):
    # show_forward(mul_layer) calls mul_layer.forward(...): given an array at gradlab's guessed (N, D) it raised
    # AttributeError and was failed as crashed; the twin's scale_forward(x) takes an array and is checked
    def checked(folder: str) -> tuple[list[tuple[str, str]], list[str]]:
        out = tmp_path / f"{folder}.json"
        main(["check", str(HERE / folder), "--no-fix-search", "--examples", "3", "--json", str(out)])
        found = json.loads(out.read_text())
        return ([(e["name"], e["verdict"]) for e in found["layers"]],
                [s["name"] for s in found["skipped"] if "gradlab's guess" in s["reason"]])

    assert checked("demo_driver") == ([("MulLayer", "pass")], ["show"])
    assert checked("demo_driver_buggy") == ([("scale", "fail")], [])


@pytest.mark.parametrize(("waiting", "stopped"), [(True, False), (False, True)])
def test_the_import_time_limit_owes_a_file_the_time_it_waited_for_a_processor(waiting, stopped, tmp_path, monkeypatch):
    # a file of layers on a machine running 17 checks on 2 cores took over 20 s of wall time to import and was set
    # aside; the time its thread spent queued for a processor (Linux's schedstat) is now added to its limit, up to
    # LOADED_GRACE times; a file that used its time itself is still stopped
    import importlib
    import sys
    import time

    from gradlab.conventions import import_budget

    (tmp_path / "queued_module.py").write_text("import time\nfor _ in range(4):\n    time.sleep(0.1)\ndone = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    started = time.monotonic()
    monkeypatch.setattr(import_budget, "_time_queued", lambda: time.monotonic() - started if waiting else 0.0)
    try:
        if stopped:
            with pytest.raises(import_budget.ImportTooSlow), import_budget.import_time_limit(0.1):
                importlib.import_module("queued_module")
        else:
            with import_budget.import_time_limit(0.1):
                assert importlib.import_module("queued_module").done
    finally:
        sys.modules.pop("queued_module", None)


def test_a_layer_built_from_sizes_that_makes_its_weights_later_is_set_aside_not_failed():
    # theophilee/numpy-cnn's ConvLayer(n_out_channels, kernel_size, stride, pad, group) makes its weights in
    # init(height, width, in_channels): built from sizes it keeps no array, which gradlab cannot check as it is
    outcome = check_paths([HERE / "lazy_weights" / "layers.py"], examples=3, seed=0)
    skipped, reports = dict(outcome.skipped), {r.name: r for r in outcome.reports}
    assert "DenseLayer" not in reports
    assert "built from its sizes and keeps no array yet" in skipped["DenseLayer"]
    # given its arrays, a layer that keeps none of them is the user's bug, as before
    assert reports["Affine"].verdict == "fail" and reports["Affine"].bug_codes == ["crashed"]
