"""`gradlab grade` and `gradlab check` say the same of the same student file: the same verdict, the same bug code.

The student's code runs in the grader's sandbox, `check` runs it in process; each test writes a file in a convention
that once told them apart, checks it in process and grades it, and compares. Every convention comes with a buggy twin,
so that the agreement is one on a code, not on a pass that could not have failed.
"""

from __future__ import annotations

import socket
import textwrap
from pathlib import Path

import numpy as np
import pytest

from gradlab.cases.check_many import check_paths
from gradlab.grading.assignment import parse_assignment
from gradlab.grading.grader import grade_submission
from gradlab.grading.sandbox import jail

ROOT = Path(__file__).parent.parent
JAIL_PROBLEM = jail.probe()
needs_bwrap = pytest.mark.skipif(JAIL_PROBLEM is not None, reason=f"bubblewrap cannot run here: {JAIL_PROBLEM}")


def _assignment(name: str, *, convention: str = "class", sandbox: str = "auto"):
    return parse_assignment({"name": "agree", "convention": convention, "seed": 1, "examples": 3, "sandbox": sandbox,
                             "limits": {"timeout": 60, "total_timeout": 120},
                             "layers": [{"name": name, "points": 10}]}, "agreement test")


def _write(tmp_path: Path, name: str, source: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def _checked(path: Path, name: str):
    outcome = check_paths([path], examples=6, seed=0)
    assert outcome.errors == []
    return {r.name: r for r in outcome.reports}[name]


FLATTEN_OF_ONE_IMAGE = """
    import numpy as np


    class Flatten:
        # one image (C, W) at a time, no batch axis: the from-scratch videos' convention
        def forward(self, x):
            if x.ndim != 2:
                raise ValueError("one image at a time")
            self.shape = x.shape
            return x.reshape(-1)

        def backward(self, dout):
            return dout.reshape(self.shape){bug}
"""


@pytest.mark.parametrize("bug, code", [("", None), (" * 2.0", "scaled")], ids=["correct", "scaled"])
def test_a_layer_taking_one_sample_with_no_batch_axis_is_graded_in_that_convention_as_check_finds_it(
        tmp_path, bug, code):
    path = _write(tmp_path, "flatten.py", FLATTEN_OF_ONE_IMAGE.format(bug=bug))
    report = _checked(path, "Flatten")
    assert report.detected_layout == "single arrays, no batch axis"
    grade = grade_submission(path, _assignment("Flatten")).layers[0]
    # it crashed on batches: graded as crashed, whatever its backward, before grade tried what check tries
    assert "no batch axis" in grade.note
    assert report.bug_codes == grade.bug_codes == ([code] if code else [])
    assert grade.score == (10 if code is None else 5)


SCIPY_SIGMOID = """
    import os
    import socket

    import numpy as np
    import scipy
    from scipy.special import expit


    def attempt(what, action):
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 - any failure is a block
            print(f"blocked {{what}}: {{type(exc).__name__}}")
            return
        print(f"ESCAPED {{what}}")


    def write(path):
        with open(path, "w") as f:
            f.write("forged")


    attempt("read reference", lambda: open({reference!r}, "rb").read(10))
    attempt("write outside", lambda: write({outside!r}))
    attempt("write into scipy", lambda: write(os.path.join(os.path.dirname(scipy.__file__), "forged.py")))
    attempt("network", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2))


    class Sigmoid:
        def forward(self, x):
            self.out = expit(x)
            return self.out

        def backward(self, dout):
            return dout * self.out * (1.0 - self.out){bug}
"""


@needs_bwrap
@pytest.mark.parametrize("bug, code", [("", None), (" * 2.0", "scaled")], ids=["correct", "scaled"])
def test_a_layer_built_on_scipy_is_graded_in_the_jail_which_still_refuses_every_way_out(tmp_path, bug, code):
    pytest.importorskip("scipy")
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    outside = tmp_path / "outside.txt"
    try:
        path = _write(tmp_path, "sigmoid.py", SCIPY_SIGMOID.format(
            reference=str(ROOT / "reference" / "classes.py"), outside=str(outside),
            port=listener.getsockname()[1], bug=bug))
        grade = grade_submission(path, _assignment("Sigmoid", sandbox="bwrap"))
        with pytest.raises(BlockingIOError):  # nobody knocked
            listener.accept()
    finally:
        listener.close()
    assert grade.sandbox == "bwrap"
    printed = "\n".join(n for n in grade.notes if n.startswith("your code printed"))
    attempts = [line for line in printed.splitlines() if line.startswith(("blocked", "ESCAPED"))]
    assert len(attempts) == 4 and not [a for a in attempts if a.startswith("ESCAPED")], printed
    assert not outside.exists()
    layer = grade.layers[0]
    assert layer.error is None and layer.bug_codes == _checked(path, "Sigmoid").bug_codes == ([code] if code else [])
    assert layer.score == (10 if code is None else 5)


SOFTMAX_WITH_LOSS = """
    import numpy as np


    class SoftmaxWithLoss:
        def forward(self, x, t):
            self.x, self.t = x, t
            z = x - x.max(axis=1, keepdims=True)
            self.y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
            return -np.sum(t * np.log(self.y)) / x.shape[0]

        def backward(self, dout=1):
            return dout * (self.{read} - self.t) / self.x.shape[0]
"""


@pytest.mark.parametrize("sandbox", ["process", pytest.param("bwrap", marks=needs_bwrap)])
def test_a_backward_reading_the_wrong_stored_array_is_wrong_input_in_grade_as_in_check_naming_the_array(
        tmp_path, sandbox):
    path = _write(tmp_path, "loss.py", SOFTMAX_WITH_LOSS.format(read="x"))
    report = _checked(path, "SoftmaxWithLoss")
    assert report.bug_codes == ["wrong-input"]
    grade = grade_submission(path, _assignment("SoftmaxWithLoss", sandbox=sandbox)).layers[0]
    assert grade.bug_codes == ["wrong-input"]  # it said dropped-term: the substitution never reached the sandbox
    dx = next(p for p in grade.parts if p.component == "dx")
    assert "reads self.x where self.y belongs" in dx.message


def test_the_same_loss_reading_the_right_stored_array_gets_full_marks(tmp_path):
    path = _write(tmp_path, "loss.py", SOFTMAX_WITH_LOSS.format(read="y"))
    assert _checked(path, "SoftmaxWithLoss").bug_codes == []
    grade = grade_submission(path, _assignment("SoftmaxWithLoss", sandbox="process"))
    assert grade.score == grade.max_score == 10


SOFTMAX_LOSS = """
    import numpy as np


    def softmax_loss(x, y):
        n = x.shape[0]
        top = x.max(axis=1, keepdims=True)
        log_norm = top[:, 0] + np.log(np.exp(x - top).sum(axis=1))
        loss = np.mean(log_norm - x[np.arange(n), y])
        e = np.exp(x - top)
        probs = e / e.sum(axis={axis}, keepdims=True)
        probs[np.arange(n), y] -= 1
        return loss, probs / n
"""


@pytest.mark.parametrize("axis, code", [(1, None), (0, "couples-samples")], ids=["correct", "batch-axis"])
def test_a_loss_whose_backward_normalises_over_the_batch_is_named_as_check_names_it(tmp_path, axis, code):
    # the loss is right, only backward's softmax is over the batch: the grader's cases voted dropped-term for dx
    # where check, reading its smallest failing case, says couples-samples
    path = _write(tmp_path, "loss.py", SOFTMAX_LOSS.format(axis=axis))
    report = _checked(path, "softmax_loss")
    grade = grade_submission(path, _assignment("softmax_loss", convention="function", sandbox="process")).layers[0]
    dx = next(p for p in grade.parts if p.component == "dx")
    assert report.bug_codes == ([code] if code else [])
    assert dx.codes == report.bug_codes and dx.passed == (code is None)


LAYERNORM = """
    import numpy as np


    def layernorm_forward(x, gamma, beta, ln_param):
        eps = ln_param.get("eps", 1e-5)
        centred = x - x.mean(axis=1, keepdims=True)
        inv = 1.0 / np.sqrt((centred ** 2).mean(axis=1, keepdims=True) + eps)
        out = gamma * centred * inv + beta
        return out, (centred, inv, gamma)


    def layernorm_backward(dout, cache):
        centred, inv, gamma = cache
        x_hat = centred * inv
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(dout * {read}, axis=0)
        dxhat = dout * gamma
        dx = inv * (dxhat - dxhat.mean(axis=1, keepdims=True) - x_hat * (dxhat * x_hat).mean(axis=1, keepdims=True))
        return dx, dgamma, dbeta
"""


@pytest.mark.parametrize("read, code", [("x_hat", None), ("centred", "wrong-input")], ids=["correct", "centred"])
def test_a_gradient_formula_reading_a_cached_array_it_should_not_is_named_from_the_arrays_in_the_sandbox(
        tmp_path, read, code):
    # diagnosis names dgamma = sum(dout * centred) from the arrays the layer holds; in the sandbox it saw none
    path = _write(tmp_path, "ln.py", LAYERNORM.format(read=read))
    report = _checked(path, "layernorm")
    grade = grade_submission(path, _assignment("layernorm", convention="function", sandbox="process")).layers[0]
    dgamma = next(p for p in grade.parts if p.component == "dgamma")
    assert report.bug_codes == grade.bug_codes == ([code] if code else [])
    assert code is None or "centred" in dgamma.message


def test_an_affine_layer_taking_only_flat_input_is_warned_of_in_every_test_as_check_warns(tmp_path):
    from gradlab.grading.feedback import results_json

    path = _write(tmp_path, "dense.py", """
        import numpy as np


        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b

            def forward(self, x):
                self.x = x
                return x @ self.W + self.b  # (N, D) only: a 4-D batch is not flattened

            def backward(self, dout):
                self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
                return dout @ self.W.T
    """)
    said = [f.message for f in _checked(path, "Affine").warnings]
    assert any("does not take 4-D input" in w for w in said)
    grade = grade_submission(path, _assignment("Affine", sandbox="process"))
    layer = grade.layers[0]
    assert layer.score == 10 and layer.warnings == [w.replace(" was checked ", " was graded ") for w in said]
    assert all(t["extra_data"]["warnings"] == layer.warnings for t in results_json(grade)["tests"])


LEAKY_RELU = """
    import numpy as np


    def leaky_relu_forward(x, alpha=0.01):
        return np.maximum(alpha * x, x), (x, alpha)


    def leaky_relu_backward(dout, cache):
        x, alpha = cache
        slope = x{copy}
        slope[x > 0] = 1.0
        slope[slope <= 0] = alpha
        return dout * slope
"""


@pytest.mark.parametrize("copy, code", [(".copy()", None), ("", "mutates-input")], ids=["copy", "in-place"])
def test_a_backward_writing_into_the_input_its_cache_holds_is_mutates_input_in_grade_as_in_check(
        tmp_path, copy, code):
    # the child told the grader of writes into x during forward only: this one happens in backward
    path = _write(tmp_path, "leaky.py", LEAKY_RELU.format(copy=copy))
    report = _checked(path, "leaky_relu")
    grade = grade_submission(path, _assignment("leaky_relu", convention="function", sandbox="process")).layers[0]
    assert report.bug_codes[:1] == grade.bug_codes[:1] == ([code] if code else [])
    structure = next(p for p in grade.parts if p.component == "structure")
    assert structure.passed == (code is None)


LINEAR_SOFTMAX = """
    import numpy as np


    def softmax_loss_vectorized(W, X, y, reg):
        n = X.shape[0]
        scores = X @ W
        scores = scores - scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        probs = e / e.sum(axis={axis}, keepdims=True)
        loss = -np.log(probs[np.arange(n), y]).mean() + reg * np.sum(W * W)
        probs[np.arange(n), y] -= 1
        return loss, X.T @ probs / n + 2 * reg * W
"""


@pytest.mark.parametrize("axis, codes", [(1, []), (0, ["couples-samples"])], ids=["correct", "batch-axis"])
def test_a_loss_normalised_over_the_batch_is_couples_samples_in_grade_as_in_check(tmp_path, axis, codes):
    # the loss law (a batch's loss lies among its samples' own) was not asked in the sandbox, whose first forward
    # had to be the case's; the forward test could only say mismatch
    path = _write(tmp_path, "softmax.py", LINEAR_SOFTMAX.format(axis=axis))
    report = _checked(path, "softmax_loss_vectorized")
    grade = grade_submission(path, _assignment("softmax_loss_vectorized", convention="function",
                                               sandbox="process")).layers[0]
    assert report.bug_codes[:1] == grade.bug_codes[:1] == codes
    forward = next(p for p in grade.parts if p.component == "forward")
    assert forward.passed == (not codes) and forward.codes == codes


SOFTMAX_OF_ONE_SAMPLE = """
    import numpy as np


    class Softmax:
        # one vector of logits at a time, its Jacobian written out
        def forward(self, x):
            e = np.exp(x{shift})
            self.out = e / np.sum(e, axis=-1, keepdims=True)
            return self.out

        def backward(self, dout):
            s = self.out
            jacobian = np.diagflat(s) - np.outer(s, s)
            return np.dot(dout, jacobian)
"""


@pytest.mark.parametrize("shift, codes", [(" - np.max(x)", []), ("", ["non-finite"])], ids=["shifted", "unshifted"])
def test_a_layer_that_crashed_on_the_drawn_batches_is_tried_one_sample_at_a_time_whatever_its_extreme_case_found(
        tmp_path, shift, codes):
    # on batches its backward crashes (a Jacobian of N*D rows); without the shift its forward is also NaN on the
    # extreme case (logits near 1000): that finding once stopped grade, not check, from trying one sample at a time
    path = _write(tmp_path, "softmax.py", SOFTMAX_OF_ONE_SAMPLE.format(shift=shift))
    report = _checked(path, "Softmax")
    assert report.detected_layout == "single arrays, no batch axis"
    grade = grade_submission(path, _assignment("Softmax")).layers[0]
    assert "no batch axis" in grade.note
    assert report.bug_codes == grade.bug_codes == codes
    # its backward is right for one sample: only the forward's test is lost to the overflow
    assert [p.component for p in grade.parts if not p.passed] == (["forward"] if codes else [])


DENSE_OF_THE_NNFS_BOOK = """
    import numpy as np


    class Layer_Dense:
        def __init__(self, n_inputs, n_neurons):
            self.weights = 0.01 * np.random.randn(n_inputs, n_neurons)
            self.biases = np.zeros((1, n_neurons))

        def forward(self, inputs):
            self.inputs = inputs
            self.output = np.dot(inputs, self.weights) + self.biases

        def backward(self, dvalues):
            self.dweights = np.dot(self.inputs.T, dvalues)
            self.dbiases = np.sum(dvalues, axis=0, keepdims=True)
            self.dinputs = np.dot(dvalues, self.weights{transpose})
"""


@pytest.mark.parametrize("transpose, codes", [(".T", {}), ("", {"dx": ["transposed", "crashed"]})],
                         ids=["correct", "W-for-W.T"])
def test_a_crash_whose_shapes_name_a_transposed_dx_is_filed_under_dx_as_check_files_it_not_under_structure(
        tmp_path, transpose, codes):
    # numpy refuses dout @ W where the sizes differ; where they are equal, dx alone comes back transposed
    path = _write(tmp_path, "dense.py", DENSE_OF_THE_NNFS_BOOK.format(transpose=transpose))
    report = _checked(path, "Layer_Dense")
    assert {g.name: g.bug_code for g in report.worst.values() if not g.passed} == \
        {name: code[0] for name, code in codes.items()}
    grade = grade_submission(path, _assignment("Layer_Dense")).layers[0]
    assert {p.component: p.codes for p in grade.parts if p.codes and p.codes != ["crashed"]} == codes
    # the structure test is about inputs, parameters and samples left alone: it is failed by the crash alone
    structure = next(p for p in grade.parts if p.component == "structure")
    assert structure.codes == (["crashed"] if codes else [])


TIME_RNN_OF_THE_SECOND_VOLUME = """
    import numpy as np


    class TimeRNN:
        def __init__(self, Wx, Wh, b, stateful=False):
            self.params = [Wx, Wh, b]
            self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
            self.h, self.dh = None, None
            self.stateful = stateful

        def forward(self, xs):
            Wx, Wh, b = self.params
            N, T, D = xs.shape
            if not self.stateful or self.h is None:
                self.h = np.zeros((N, Wh.shape[0]))
            self.xs, self.hs_prev = xs, []
            hs = np.empty((N, T, Wh.shape[0]))
            for t in range(T):
                self.hs_prev.append(self.h)
                self.h = np.tanh(xs[:, t, :] @ Wx + self.h @ Wh + b)
                hs[:, t, :] = self.h
            self.hs = hs
            return hs

        def backward(self, dhs):
            Wx, Wh, b = self.params
            dxs = np.empty_like(self.xs)
            dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
            dh = 0
            for t in reversed(range(self.xs.shape[1])):
                dt = (dhs[:, t, :] + dh) * (1 - self.hs[:, t, :] ** 2)
                dWx += self.xs[:, t, :].T @ dt
                dWh += {dwh}
                db += dt.sum(axis=0)
                dxs[:, t, :] = dt @ Wx.T
                dh = dt @ Wh.T
            self.grads[0][...], self.grads[1][...], self.grads[2][...] = dWx, dWh, db
            self.dh = dh
            return dxs
"""


@pytest.mark.parametrize("dwh, codes", [("self.hs_prev[t].T @ dt", []), ("dt.T @ self.hs_prev[t]", ["transposed"])],
                         ids=["correct", "dWh-transposed"])
def test_a_stateful_time_layer_is_graded_from_the_state_its_first_call_left_as_check_checks_it(tmp_path, dwh, codes):
    # a stateful case calls it twice, the second call from the state the first left (see the next test)
    path = _write(tmp_path, "time_rnn.py", TIME_RNN_OF_THE_SECOND_VOLUME.format(dwh=dwh))
    assert _checked(path, "TimeRNN").bug_codes == codes
    assignment = parse_assignment({"name": "agree", "convention": "class", "seed": 5, "examples": 4,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "TimeRNN", "points": 10}]}, "agreement test")
    grade = grade_submission(path, assignment).layers[0]
    assert grade.bug_codes == codes
    assert grade.score == (10 if not codes else 8)


class _PerturbedInProcess:
    """The grader's proxy's `forward_perturbed`, as the sandbox's child computes it, on a layer adapted here."""

    def __init__(self, layer):
        self.layer = layer

    def forward_perturbed(self, target, flat_indices, values, *, x, t):
        outs = []
        for i, v in zip(flat_indices.tolist(), values.tolist()):
            moved = x.copy()
            moved.flat[i] = v
            outs.append(np.array(self.layer.forward(moved, t), dtype=np.float64))
        return np.stack(outs)


def test_a_stateful_time_layers_forward_is_spot_checked_as_the_function_of_x_that_check_differentiates(tmp_path):
    # its carried state came from a first call on the unmoved sequence (an input of its own, as check holds it):
    # moving x does not move it, where the reference primed on the moved sequence would; so a correct TimeRNN lost
    # every point to "forward must compute the same function on every call" where its outputs are small
    from gradlab.conventions.adapters import adapt
    from gradlab.conventions.registry import Entry
    from gradlab.grading.forward_reference import spot_check
    from gradlab.kinds import KINDS, build_case

    path = _write(tmp_path, "time_rnn_spot.py", TIME_RNN_OF_THE_SECOND_VOLUME.format(dwh="self.hs_prev[t].T @ dt"))
    namespace: dict = {}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    kind = KINDS["time_rnn"]
    failures = []
    for seed in range(8):
        case = build_case(kind, {"N": 2, "T": 5, "D": 4, "H": 3, "stateful": True, "scale": 0.1, "seed": seed})
        layer = adapt(Entry("TimeRNN", "time_rnn", "class", namespace["TimeRNN"]), kind, case)
        layer.forward(case.x.copy(), None)
        found = spot_check(_PerturbedInProcess(layer), kind, case, seed)
        failures += [found.message] if found is not None else []
    assert failures == []


LINEAR_ACTIVATION_OF_DEEPLEARNING_AI = """
    import numpy as np


    def relu(Z):
        return np.maximum(0, Z), Z


    def relu_backward(dA, cache):
        dZ = np.array(dA, copy=True)
        dZ[cache {mask}] = 0
        return dZ


    def sigmoid(Z):
        return 1 / (1 + np.exp(-Z)), Z


    def sigmoid_backward(dA, cache):
        s = 1 / (1 + np.exp(-cache))
        return dA * s * (1 - s)


    def linear_activation_forward(A_prev, W, b, activation):
        Z = np.dot(W, A_prev) + b
        if activation == "relu":
            A, activation_cache = relu(Z)
        elif activation == "sigmoid":
            A, activation_cache = sigmoid(Z)
        return A, ((A_prev, W, b), activation_cache)


    def linear_activation_backward(dA, cache, activation):
        (A_prev, W, b), activation_cache = cache
        if activation == "relu":
            dZ = relu_backward(dA, activation_cache)
        elif activation == "sigmoid":
            dZ = sigmoid_backward(dA, activation_cache)
        m = A_prev.shape[1]
        return np.dot(W.T, dZ), np.dot(dZ, A_prev.T) / m, np.sum(dZ, axis=1, keepdims=True) / m
"""


@pytest.mark.parametrize("mask, codes", [("<= 0", {}), ("> 0", {"linear_activation[relu]": ["misrouted"]})],
                         ids=["correct", "mask-inverted"])
def test_a_layer_bound_to_its_activation_string_has_its_forward_compared_with_the_affine_map_and_that_activation(
        tmp_path, mask, codes):
    # deeplearning.ai's linear_activation_forward(A_prev, W, b, activation) is graded once per string, as check checks
    # it; its forward was compared with the affine map alone, so every correct one lost its forward and, with it, all
    path = _write(tmp_path, "dnn_utils.py", LINEAR_ACTIVATION_OF_DEEPLEARNING_AI.format(mask=mask))
    names = ["linear_activation[relu]", "linear_activation[sigmoid]"]
    checked = {n: _checked(path, n).bug_codes for n in names}
    assert [n for n, c in checked.items() if c] == list(codes) and all(codes[n][0] in checked[n] for n in codes)
    assignment = parse_assignment({"name": "agree", "convention": "function", "seed": 1, "examples": 3,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": n, "kind": "affine", "points": 10} for n in names]}, "test")
    grade = grade_submission(path, assignment)
    # the inverted mask's gradients are read as scaled, misrouted or a reduction, by check as by grade, as the cases
    # fall: the agreement asked here is on which layer fails, where, and that misrouted is among its codes
    assert [g.name for g in grade.layers if g.bug_codes] == list(codes)
    assert all(codes[g.name][0] in g.bug_codes for g in grade.layers if g.bug_codes)
    assert all(p.passed for g in grade.layers for p in g.parts if p.component in ("forward", "structure"))
    assert grade.score == 20 - 2.5 * 3 * len(codes)  # dx, dW and db of the relu one
    # samples as columns are 2-D only: neither warns that it does not take an image batch (N, C, H, W)
    assert [g.warnings for g in grade.layers] == [[], []] and not any(_checked(path, n).warnings for n in names)


DENSE_UPDATING_ITSELF_ONE_COLUMN_AT_A_TIME = """
    import numpy as np


    class Dense:
        def __init__(self, input_size, output_size):
            self.weights = np.random.randn(output_size, input_size)
            self.bias = np.random.randn(output_size, 1)

        def forward(self, input):
            self.input = input
            return np.dot(self.weights, self.input) + self.bias

        def backward(self, output_gradient, learning_rate):
            weights_gradient = np.dot(output_gradient, self.input.T)
            input_gradient = np.dot(self.weights.T, output_gradient)
            self.weights -= learning_rate * weights_gradient
            {bias_update}
            return input_gradient
"""


@pytest.mark.parametrize("bias_update, codes", [("self.bias -= learning_rate * output_gradient", []),
                                                ("pass", ["zero-gradient"])], ids=["correct", "bias-not-updated"])
def test_a_layer_taking_one_column_at_a_time_is_graded_so_in_a_columns_assignment_as_check_detects_it(
        tmp_path, bias_update, codes):
    # the from-scratch videos' Dense: its bias (out, 1) takes the output gradient itself, so it crashes on batches of
    # columns; check then tries one column at a time (cases.other_layouts.in_columns), and so does grade
    path = _write(tmp_path, "dense.py", DENSE_UPDATING_ITSELF_ONE_COLUMN_AT_A_TIME.format(bias_update=bias_update))
    report = _checked(path, "Dense")
    # without the bias update it takes batches of columns: check and grade then grade those
    one_at_a_time = not codes
    assert report.detected_layout == ("columns, one sample at a time, W (out, in)" if one_at_a_time else
                                      "columns, W (out, in)") and report.bug_codes == codes
    assignment = parse_assignment({"name": "agree", "convention": "class", "layout": "columns",
                                   "weight_layout": "out_in", "seed": 1, "examples": 3,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "Dense", "points": 10}]}, "agreement test")
    grade = grade_submission(path, assignment).layers[0]
    assert ("columns, one sample at a time" in grade.note) == one_at_a_time
    assert grade.bug_codes == codes and grade.score == (10 if not codes else 7.5)


TANH_FUNCTIONS = """
    import numpy as np


    def tanh_forward(x):
        out = np.tanh(x)
        return out, out


    def tanh_backward(dout, cache):
        out = cache
        return {dx}
"""


@pytest.mark.parametrize("dx, code", [("dout * (1 - out)", "mismatch"), ("2 * dout * (1 - out ** 2)", "scaled")],
                         ids=["square-forgotten", "doubled"])
def test_a_code_one_case_found_where_more_found_no_explanation_is_named_as_check_names_it(tmp_path, dx, code):
    # (1 - out) is 0.5 of (1 - out ** 2) only where out is near 1: one saturated case reads 'scaled', most find no
    # factor; a code the failing cases contest is asked of check (grading.check_names), a factor they share stands
    path = _write(tmp_path, "tanh.py", TANH_FUNCTIONS.format(dx=dx))
    assert _checked(path, "tanh").bug_codes == [code]
    assignment = parse_assignment({"name": "agree", "convention": "function", "seed": 2024, "examples": 12,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "tanh", "points": 10}]}, "agreement test")
    assert grade_submission(path, assignment).layers[0].bug_codes == [code]


AFFINE_WITHOUT_THE_MEAN = """
    import numpy as np


    class Affine:
        def __init__(self, W, b):
            self.W, self.b = W, b

        def forward(self, x):
            self.x = x
            return x @ self.W + self.b

        def backward(self, dout):
            self.dW = self.x.T @ dout {scale}
            self.db = dout.sum(axis=0)
            return dout @ self.W.T
"""


def test_only_the_smallest_failing_case_and_the_largest_ones_ask_the_layer_for_evidence_the_rest_fail_alike(
        tmp_path, monkeypatch):
    # each question diagnosis asks the layer is a round trip to the sandbox: asked on every case, an LSTM step's
    # grading took a minute under load. Every case is still judged; the codes come from the cases asked
    import gradlab.core.values as values
    import gradlab.grading.grader as grader
    import gradlab.grading.layer_cases as layer_cases

    asked: list[int] = []  # the case (its number among the cases checked) each question was asked on
    checked = [0]
    real_check, real_jacobians = grader.check_case, values.jacobians
    monkeypatch.setattr(grader, "check_case", lambda *a, **kw: checked.__setitem__(0, checked[0] + 1) or
                        real_check(*a, **kw))
    monkeypatch.setattr(values, "jacobians", lambda *a, **kw: asked.append(checked[0]) or real_jacobians(*a, **kw))
    path = _write(tmp_path, "affine.py", AFFINE_WITHOUT_THE_MEAN.format(scale="* 3.0"))
    assignment = parse_assignment({"name": "agree", "convention": "class", "seed": 3, "examples": 8,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "Affine", "points": 10}]}, "agreement test")
    some = grade_submission(path, assignment).layers[0]
    cases_asked, diagnosed = len(set(asked)), layer_cases.DIAGNOSED_CASES
    asked.clear()
    monkeypatch.setattr(layer_cases, "DIAGNOSED_CASES", 100)
    every = grade_submission(path, assignment).layers[0]
    assert every.cases == some.cases >= 8 and len(set(asked)) == every.cases
    assert cases_asked == 1 + diagnosed
    assert [(p.component, p.passed, p.codes) for p in some.parts] == \
        [(p.component, p.passed, p.codes) for p in every.parts] == \
        [("forward", True, []), ("dx", True, []), ("dW", False, ["scaled"]), ("db", True, []), ("structure", True, [])]


def test_a_backward_that_updates_its_weights_before_its_dx_loses_dx_alone_not_its_forward(tmp_path):
    # dx computed with the weights already updated is stale-parameters; diagnosis left the checked layer in the child
    # as such a backward found it, and the forward's spot check on that layer saw the updated weights: "forward must
    # compute the same function on every call", and every other test not credited. It now asks a fresh layer
    update = "self.weights -= learning_rate * weights_gradient"
    dx = "input_gradient = np.dot(self.weights.T, output_gradient)"
    bias = "self.bias -= learning_rate * output_gradient"
    source = DENSE_UPDATING_ITSELF_ONE_COLUMN_AT_A_TIME.format(bias_update=bias)
    source = source.replace(f"{dx}\n            {update}", f"{update}\n            {dx}")
    assert source.index(update) < source.index(dx)
    path = _write(tmp_path, "dense.py", source)
    assert _checked(path, "Dense").bug_codes == ["stale-parameters"]
    assignment = parse_assignment({"name": "agree", "convention": "class", "layout": "columns",
                                   "weight_layout": "out_in", "seed": 1, "examples": 3,
                                   "limits": {"timeout": 60, "total_timeout": 120},
                                   "layers": [{"name": "Dense", "points": 10}]}, "agreement test")
    grade = grade_submission(path, assignment).layers[0]
    assert {p.component: p.passed for p in grade.parts} == {"forward": True, "dx": False, "dW": True, "db": True,
                                                           "structure": False}
    assert "stale-parameters" in grade.bug_codes
