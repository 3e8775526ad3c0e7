"""Diagnosis asks its questions of the layer as the check's backward found it, and leaves the layer as it found it.

A layer that updates its own weights in backward (learners' `backward(grad, lr)`, with momentum or an optimizer
object) or adds its gradients into arrays it keeps (`self.grads[0][...] += dW`, zeroed by the user's optimizer) gives
another answer at every backward. Diagnosis runs a backward per output element for its Jacobians, and more; each ran
on what the previous one left, so the Jacobian's rows were running sums and a bias gradient that keeps one sample's
share read `mismatch` or "off by 39%" by the case, where the layer's every entry is right or missing (`dropped-term`).
The layers here are our own, in those conventions; each buggy one has a correct twin whose gradients pass.
Also here, for the same layers: a dx computed from weights backward has just updated is named stale-parameters;
what a second backward after one forward says of the state a layer keeps; and the grader, whose layer lives in the
sandbox's child (its state kept and put back there, its own updates reported), and which speaks to a deeplearning.ai
submission in the course's own layout.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gradlab.core.values as values_module
from gradlab import entry_for
from gradlab.cases.runner import run_case
from gradlab.conventions.adapters import adapt
from gradlab.core.evidence import Evidence
from gradlab.core.layer_state import LayerState
from gradlab.kinds import KINDS, build_case

SPECS = [{"N": 3, "in_shape": (4,), "out": 4, "seed": 0, "scale": 1.0},
         {"N": 4, "in_shape": (3,), "out": 2, "seed": 1, "scale": 1.0},
         {"N": 2, "in_shape": (2,), "out": 3, "seed": 2, "scale": 1.0}]


# --- the textbook's list style, accumulating with += ------------------------------------------------------------

class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return np.dot(x, W) + b

    def backward(self, dout):
        W, _ = self.params
        dx = np.dot(dout, W.T)
        self.grads[0][...] += np.dot(self.x.T, dout)
        self.grads[1][...] += self._db(dout)
        return dx

    def _db(self, dout):
        return np.sum(dout, axis=0)


class AffineBiasOfOneSample(Affine):
    def _db(self, dout):
        return dout[0]


class AffineAccumulatingInAttributes:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.dW, self.db = np.zeros_like(W), np.zeros_like(b)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW += self.x.T @ dout
        self.db += dout.sum(axis=0)
        return np.maximum(dout, 0) @ self.W.T  # the bug: dout's negative entries are dropped


# --- learners' Dense(n_in, n_out) with backward(grad, lr), updating itself ----------------------------------------

class Dense:
    def __init__(self, n_in, n_out):
        self.weights = np.random.randn(n_in, n_out) * 0.1
        self.bias = np.zeros((1, n_out))
        self.v_w, self.v_b = np.zeros_like(self.weights), np.zeros_like(self.bias)

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.weights + self.bias

    def backward(self, grad, lr):
        d_weights = self.inputs.T @ grad
        d_bias = self._d_bias(grad)
        d_inputs = grad @ self.weights.T
        self.v_w = 0.9 * self.v_w + d_weights  # momentum: the velocity outlives the call
        self.v_b = 0.9 * self.v_b + d_bias
        self.weights -= lr * self.v_w
        self.bias -= lr * self.v_b
        return d_inputs

    def _d_bias(self, grad):
        return grad.sum(axis=0, keepdims=True)


class DenseBiasOfOneSample(Dense):
    def _d_bias(self, grad):
        return grad[:1]


class Momentum:
    def __init__(self, mu=0.9):
        self.mu, self.velocity = mu, {}

    def step(self, key, param, grad, lr):
        self.velocity[key] = self.mu * self.velocity.get(key, np.zeros_like(param)) + grad
        param -= lr * self.velocity[key]


class DenseWithOptimizer:
    def __init__(self, n_in, n_out):
        self.weights = np.random.randn(n_in, n_out) * 0.1
        self.bias = np.zeros((1, n_out))
        self.optimizer = Momentum()

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.weights + self.bias

    def backward(self, grad, lr):
        d_inputs = grad @ self.weights.T
        self.optimizer.step("w", self.weights, self._d_weights(grad), lr)
        self.optimizer.step("b", self.bias, grad.sum(axis=0, keepdims=True), lr)
        return d_inputs

    def _d_weights(self, grad):
        return self.inputs.T @ grad


class DenseWithOptimizerRectifiedInputs(DenseWithOptimizer):
    def _d_weights(self, grad):
        return np.maximum(self.inputs, 0).T @ grad


# --- a Dense that steps with a learning rate of its own (no contract: stale-parameters) -------------------------

class DenseOwnStep:
    def __init__(self, n_in, n_out):
        self.W, self.b, self.lr = np.random.randn(n_in, n_out) * 0.1, np.zeros(n_out), 0.5

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout[0]  # the bug: db of one sample
        dx = dout @ self.W.T
        self.W -= self.lr * self.dW
        self.b -= self.lr * self.db
        return dx


def _failing(layer, spec):
    result = run_case(entry_for(layer, kind="affine"), spec, mode="full")
    return {g.name: g for g in result.gradients if not g.passed}


@pytest.mark.parametrize("layer, name", [(AffineBiasOfOneSample, "grads[1]"), (DenseBiasOfOneSample, "dbias")],
                         ids=["textbook_accumulating", "learners_momentum"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"N={s['N']}")
def test_a_bias_gradient_of_one_sample_is_a_dropped_term_on_every_case_in_a_layer_that_keeps_state(layer, name,
                                                                                                      spec):
    failing = _failing(layer, spec)
    assert list(failing) == [name]
    assert failing[name].bug_code == "dropped-term"
    assert "either right or missing" in failing[name].diagnosis  # read off the Jacobian, entry by entry


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"N={s['N']}")
def test_an_optimizer_object_inside_backward_leaves_a_rectified_weight_gradient_a_dropped_term(spec):
    failing = _failing(DenseWithOptimizerRectifiedInputs, spec)
    assert list(failing) == ["dweights"] and failing["dweights"].bug_code == "dropped-term"


@pytest.mark.parametrize("layer", [Affine, Dense, DenseWithOptimizer])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"N={s['N']}")
def test_the_correct_twins_gradients_all_pass(layer, spec):
    assert _failing(layer, spec) == {}


def _evidence(layer_class, target, spec):
    """The evidence diagnosis would get for `target`, built after the check's own calls (a forward, and two
    backwards: the check's and the repeatability step's) with the layer's state recorded before them, as
    `gradlab.core.check` and `gradlab.core.values` build it on a failure."""
    kind = KINDS["affine"]
    case = build_case(kind, spec)
    layer = adapt(entry_for(layer_class, kind="affine"), kind, case)
    x = case.x.astype(np.float64)
    y0 = np.asarray(layer.forward(x, None), dtype=np.float64)
    G = np.random.default_rng(3).standard_normal(y0.shape)
    state = LayerState.of(layer)  # as `gradlab.core.check` records it, before its backward
    layer.backward(G.copy())
    layer.backward(G.copy())
    arr = x if target == "x" else layer.params[target]
    flat, h = arr.reshape(-1), np.full(arr.shape, 1e-6)

    def evaluate_at(k, delta):
        old = flat[k]
        flat[k] = old + delta
        try:
            return np.array(layer.forward(x, None), dtype=np.float64)
        finally:
            flat[k] = old

    return Evidence(layer, target, arr, x, None, y0, h, evaluate_at, state=state).seen(G, lambda a: a, lambda a: a)


@pytest.mark.parametrize("layer", [Affine, Dense, DenseWithOptimizer])
@pytest.mark.parametrize("target", ["W", "b"])
def test_every_row_of_a_correct_stateful_layers_jacobian_is_its_own_backward(layer, target):
    analytic, numeric = _evidence(layer, target, SPECS[0]).jacobians
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_the_layers_own_gradients_asked_twice_are_the_same():
    ev = _evidence(Affine, "W", SPECS[1])
    first, second = ev.analytic_gradients(), ev.analytic_gradients()
    assert first.keys() == second.keys() == {"grads[0]", "grads[1]"}
    for k in first:
        np.testing.assert_array_equal(first[k], second[k])



# --- dx computed from the weights backward has just updated ---------------------------------------------------------

class DenseUpdatesBeforeDx(Dense):
    def backward(self, grad, lr):
        self.weights -= lr * (self.inputs.T @ grad)
        self.bias -= lr * grad.sum(axis=0, keepdims=True)
        return grad @ self.weights.T


class DenseOwnStepBeforeDx(DenseOwnStep):
    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        self.W -= self.lr * self.dW
        self.b -= self.lr * self.db
        return dout @ self.W.T


class DenseOwnStepRebindsBeforeDx(DenseOwnStep):
    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        self.W = self.W - self.lr * self.dW  # a new array: gradlab puts its own back after the call
        return dout @ self.W.T


class DenseOwnStepDxOfPositiveDout(DenseOwnStep):
    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        dx = np.maximum(dout, 0) @ self.W.T  # before the update, but wrong in another way
        self.W -= self.lr * self.dW
        return dx


@pytest.mark.parametrize("layer", [DenseUpdatesBeforeDx, DenseOwnStepBeforeDx, DenseOwnStepRebindsBeforeDx],
                         ids=["backward_lr", "own_rate", "own_rate_new_array"])
@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"N={s['N']}")
def test_a_dx_computed_from_the_weights_backward_already_updated_is_named_stale_parameters(layer, spec):
    failing = _failing(layer, spec)
    assert list(failing) == ["dx"] and failing["dx"].bug_code == "stale-parameters", failing["dx"].diagnosis
    assert "already updated" in failing["dx"].diagnosis  # it read couples-samples, 'a sum over the batch axis 0'


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"N={s['N']}")
def test_a_layer_that_updates_itself_after_a_wrong_dx_keeps_that_dxs_own_code(spec):
    failing = _failing(DenseOwnStepDxOfPositiveDout, spec)
    assert failing["dx"].bug_code != "stale-parameters"




def test_the_parameters_a_backward_updates_are_named_as_the_users_code_names_them():
    result = run_case(entry_for(DenseUpdatesBeforeDx, kind="affine"), SPECS[0], mode="full")
    said = [f.message for f in result.findings if f.code == "stale-parameters"]
    assert len(said) == 2 and "makes to weights:" in said[0] and "makes to bias:" in said[1], said  # were W and b


# --- what the check says of a second backward after the same forward ------------------------------------------------

def _second_backward(layer):
    result = run_case(entry_for(layer, kind="affine"), SPECS[0], mode="full")
    return {f.gradient: f.message for f in result.findings if "second backward" in f.message}


def test_a_gradient_added_into_with_plus_equals_is_said_to_pile_up_over_the_calls():
    said = _second_backward(Affine)
    assert set(said) == {"grads[0]", "grads[1]"}
    assert all("twice the first" in m and "(+=)" in m for m in said.values()), said


def test_a_momentum_update_in_backward_is_said_to_depend_on_the_updates_before_it():
    said = _second_backward(Dense)
    assert set(said) == {"dweights", "dbias"}
    assert all("velocity" in m and "times the first one" in m for m in said.values()), said


# --- property: diagnosis changes nothing in the layer ------------------------------------------------------------

def _arrays(obj, seen=None):
    """Every array the object holds (attributes, lists, dicts, objects it holds), copied, by path."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return {}
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        return {"": obj.copy()}
    if isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif isinstance(obj, dict):
        items = obj.items()
    elif hasattr(obj, "__dict__") and type(obj).__module__ in (__name__, "gradlab.conventions.class_style"):
        items = vars(obj).items()
    else:
        return {}
    return {f"{k}.{p}": a for k, v in items for p, a in _arrays(v, seen).items()}


BUGGY = [AffineBiasOfOneSample, AffineAccumulatingInAttributes, DenseBiasOfOneSample,
         DenseWithOptimizerRectifiedInputs, DenseOwnStep]


@settings(max_examples=12, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(layer=st.sampled_from(BUGGY), N=st.integers(2, 4), d_in=st.integers(1, 4), d_out=st.integers(1, 4),
       seed=st.integers(0, 50))
def test_running_the_diagnosis_leaves_every_array_of_the_layer_bit_identical(layer, N, d_in, d_out, seed):
    changed: list[str] = []
    diagnosed: list[str] = []
    real = values_module.compare

    def watched(name, analytic, numeric_grad, **kw):
        watched_layer = kw["jacobians"].args[0]  # the layer the evidence asks (gradlab.core.values builds it so)
        before = _arrays(watched_layer)
        result = real(name, analytic, numeric_grad, **kw)
        if not result.passed:
            diagnosed.append(name)
        after = _arrays(watched_layer)
        changed.extend(f"{name}: {k}" for k in before if k not in after or before[k].shape != after[k].shape
                       or not np.array_equal(before[k], after[k], equal_nan=True))
        return result

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(values_module, "compare", watched)
        run_case(entry_for(layer, kind="affine"), {"N": N, "in_shape": (d_in,), "out": d_out, "seed": seed,
                                                   "scale": 1.0}, mode="full")
    assert changed == [], changed
    # a case where the bug shows (an all-positive dout hides a rectified one); none at all fails as Unsatisfiable
    assume(diagnosed)


# --- the grader: the layer lives in the sandbox's child, which keeps and puts back its state on request ----------

LEARNERS_MOMENTUM = '''
import numpy as np


class Dense:
    def __init__(self, n_in, n_out):
        self.weights = np.random.randn(n_in, n_out) * 0.1
        self.bias = np.zeros((1, n_out))
        self.vw, self.vb = np.zeros_like(self.weights), np.zeros_like(self.bias)

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.weights + self.bias

    def backward(self, grad, lr):
        d_inputs = grad @ self.weights.T
        self.vw = 0.9 * self.vw + self.inputs.T @ grad
        self.vb = 0.9 * self.vb + grad[:1]
        self.weights -= lr * self.vw
        self.bias -= lr * self.vb
        return d_inputs
'''


def test_the_grader_names_a_momentum_layers_one_sample_bias_gradient_a_dropped_term_from_its_sandbox(tmp_path):
    from gradlab.grading.assignment import load_assignment
    from gradlab.grading.grader import grade_submission

    (tmp_path / "student.py").write_text(LEARNERS_MOMENTUM)
    (tmp_path / "a.toml").write_text('name = "learners"\nconvention = "class"\nsandbox = "process"\nseed = 7\n'
                                     'examples = 6\n[[layers]]\nname = "Dense"\npoints = 10\n')
    (dense,) = grade_submission(tmp_path / "student.py", load_assignment(tmp_path / "a.toml")).layers
    by_part = {p.component: p for p in dense.parts}
    failed = {k for k, p in by_part.items() if not p.passed}
    assert {"dW", "dx"}.isdisjoint(failed) and "db" in failed
    assert by_part["db"].codes == ["dropped-term"], by_part["db"].message  # it read 'scaled' from the sandbox


LEARNERS_UPDATES_FIRST = '''
import numpy as np


class Dense:
    def __init__(self, n_in, n_out):
        self.weights = np.random.randn(n_in, n_out) * 0.1
        self.bias = np.zeros((1, n_out))

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.weights + self.bias

    def backward(self, grad, lr):
        self.weights -= lr * self.inputs.T @ grad
        self.bias -= lr * grad.sum(axis=0, keepdims=True)
        return grad @ self.weights.T
'''


def test_the_grader_names_a_dx_taken_after_the_update_stale_and_takes_the_structure_points_from_its_sandbox(tmp_path):
    from gradlab.grading.assignment import load_assignment
    from gradlab.grading.grader import grade_submission

    (tmp_path / "student.py").write_text(LEARNERS_UPDATES_FIRST)
    (tmp_path / "a.toml").write_text('name = "learners"\nconvention = "class"\nsandbox = "process"\nseed = 7\n'
                                     'examples = 6\n[[layers]]\nname = "Dense"\npoints = 10\n')
    (dense,) = grade_submission(tmp_path / "student.py", load_assignment(tmp_path / "a.toml")).layers
    failed = {p.component: p.codes for p in dense.parts if not p.passed}
    # before: dx read couples-samples and the structure passed, the child's adapter's finding never reaching it
    assert failed == {"dx": ["stale-parameters"], "structure": ["stale-parameters"]}, failed


def test_a_deeplearning_ai_submission_graded_with_the_courses_column_layout_is_turned_around_once(tmp_path):
    """deeplearning.ai's linear_* are samples as columns by their own convention (the child's adapter turns gradlab's
    cases around for them); an assignment saying layout = "columns", as the README tells a columns course to, made
    the grader turn them around a second time: a correct submission crashed in linear_forward (20 / 50)."""
    from pathlib import Path

    from gradlab.grading.assignment import load_assignment
    from gradlab.grading.grader import grade_submission

    source = Path(__file__).parent / "deeplearning_ai" / "dnn_steps.py"
    (tmp_path / "a.toml").write_text(
        'name = "dlai"\nconvention = "function"\nlayout = "columns"\nweight_layout = "out_in"\nsandbox = "process"\n'
        'seed = 3\nexamples = 4\n[[layers]]\nname = "linear"\npoints = 10\n[[layers]]\nname = "relu"\npoints = 5\n')
    grade = grade_submission(source, load_assignment(tmp_path / "a.toml"))
    assert grade.score == grade.max_score == 15, [(g.name, g.bug_codes, g.error) for g in grade.layers]


def test_a_deeplearning_ai_submission_is_told_its_shapes_and_hints_in_the_courses_own_layout(tmp_path):
    """As `gradlab check` tells them: db a column (M, 1) summed over axis 1, the 1/m on dW and db. The grader spoke
    gradlab's rows ('should have (2,)', 'db = dout.sum(axis=0)'): the child's adapter's view never reached it."""
    import re
    from pathlib import Path

    from gradlab.grading.assignment import load_assignment
    from gradlab.grading.grader import grade_submission

    source = (Path(__file__).parent / "deeplearning_ai" / "dnn_steps.py").read_text()
    right = "db = dZ.sum(axis=1, keepdims=True) / m"
    assert right in source
    (tmp_path / "a.toml").write_text('name = "dlai"\nconvention = "function"\nsandbox = "process"\nseed = 3\n'
                                     'examples = 4\n[[layers]]\nname = "linear"\npoints = 10\n')
    for wrong, code, said in [("db = dZ.sum(axis=0, keepdims=True) / m", "wrong-reduction", "sum over axis 1 only"),
                              ("db = dZ.sum(axis=1, keepdims=True)", "missing-batch-mean", "in this course's")]:
        (tmp_path / "student.py").write_text(source.replace(right, wrong))
        (linear,) = grade_submission(tmp_path / "student.py", load_assignment(tmp_path / "a.toml")).layers
        (db,) = [p for p in linear.parts if not p.passed]
        assert db.component == "db" and db.codes == [code], (db.codes, db.message)
        assert said in linear.hints[code]
        if code == "wrong-reduction":
            assert re.search(r"should have \(\d+, 1\)", db.message), db.message
