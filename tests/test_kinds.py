"""Every kind has what the checker, the grader and `gradlab batch` need, and a kind is one module."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradlab
from gradlab.cases.per_sample import batch_vs_samples, default_spec
from gradlab.cases.strategies import specs
from gradlab.conventions.convention_names import kind_for_pair
from gradlab.conventions.registry import load_reference
from gradlab.grading.forward_reference import check_forward, reference_output
from gradlab.kinds import KINDS, MODULES, build_case, kind_for_class, kind_for_loss_function, kind_for_stem
from gradlab.training.trainer import ACTIVATIONS

PACKAGE = Path(gradlab.__file__).parent
KIND_IDS = sorted(KINDS)


def _reference(kind_name: str, convention: str):
    return next((e for e in load_reference().values()
                 if e.kind == kind_name and e.bug is None and e.convention == convention), None)


def test_each_kind_module_defines_one_kind_named_after_the_module():
    for module in MODULES:
        assert module.__name__ == f"gradlab.kinds.{module.KIND.name}"
    assert len(KINDS) == len(MODULES)


def _forward_taking(argument: str):
    namespace: dict = {}
    exec(f"def forward(x, {argument}):\n    pass", namespace)
    return namespace["forward"]


@pytest.mark.parametrize("name", KIND_IDS)
def test_a_kind_is_found_by_each_of_its_names(name):
    kind = KINDS[name]
    assert kind.class_names or kind.function_stems or kind.loss_functions or kind.course_stems
    assert all(kind_for_class(n) is kind for n in kind.class_names)
    assert all(kind_for_stem(s) is kind for s in kind.function_stems)
    # a course's stem that comes with a dict (deeplearning.ai's conv_forward(A_prev, W, b, hparameters), a stem
    # CS231n's conv shares) is found by the dict argument the forward names
    assert all(kind_for_pair(_forward_taking(kind.param_dict), s) is kind for s in kind.course_stems if kind.param_dict)
    assert all(kind_for_loss_function(f) is kind for f in kind.loss_functions)


@pytest.mark.parametrize("name", KIND_IDS)
@pytest.mark.parametrize("convention", ["class", "function"])
def test_drawn_specs_build_reproducible_float64_cases_with_every_parameter(name, convention):
    kind = KINDS[name]

    @settings(max_examples=15, deadline=None, database=None)
    @given(specs(kind, convention=convention))
    def run(spec):
        case = build_case(kind, spec)
        again = build_case(kind, spec)
        assert case.N == spec["N"] >= kind.min_batch
        assert case.x.shape[0] == case.N
        assert sorted(case.params) == sorted(kind.params)
        for p in case.params.values():
            assert p.dtype == np.float64
        if kind.x_differentiable:
            assert case.x.dtype == np.float64
        np.testing.assert_array_equal(case.x, again.x)
        if kind.param_dict:
            assert set(kind.function_param_dict(case.hyper)) >= set(kind.param_dict_fixed)

    run()


@pytest.mark.parametrize("name", KIND_IDS)
@pytest.mark.parametrize("convention", ["class", "function"])
def test_extreme_and_batch_specs_build(name, convention):
    kind = KINDS[name]
    for spec in kind.extreme_specs(convention):
        assert build_case(kind, spec).N == spec["N"]
    case = build_case(kind, default_spec(kind, 4, style=convention))
    assert case.N == 4


@pytest.mark.parametrize("name", KIND_IDS)
def test_every_kind_has_a_correct_reference_layer_that_passes_and_whose_forward_the_grader_accepts(name):
    kind = KINDS[name]
    entry = _reference(name, "class") or _reference(name, "function")
    assert entry is not None, f"no correct reference layer of kind {name} in reference/"
    report = gradlab.check_entry(entry, examples=5, seed=1)
    assert report.verdict != "fail", report.bug_codes
    case = build_case(kind, default_spec(kind, 4, style=entry.convention))
    out = reference_output(kind, case)
    assert check_forward(kind, case, out).ok


@pytest.mark.parametrize("name", KIND_IDS)
def test_the_batch_versus_sample_run_works_for_every_kind(name):
    entry = _reference(name, "class") or _reference(name, "function")
    report = batch_vs_samples(entry, N=3)
    assert report.error is None, report.error
    assert report.gradients, "no gradient was compared"


@pytest.mark.parametrize("name", KIND_IDS)
def test_a_kind_survives_pickling_for_parallel_grading(name):
    assert pickle.loads(pickle.dumps(KINDS[name])) == KINDS[name]


@given(st.sampled_from(KIND_IDS))
@settings(max_examples=10, deadline=None)
def test_the_grader_rejects_a_forward_that_is_the_wrong_function(name):
    kind = KINDS[name]
    case = build_case(kind, default_spec(kind, 4))
    out = reference_output(kind, case)
    wrong = out * 3.0 + 1.0
    assert not check_forward(kind, case, wrong).ok


def test_a_kind_name_appears_as_a_string_in_its_own_module_only():
    """Training roles and the trainer's activation choices are training configuration (DECISIONS.md)."""
    # models/build.py: the values of CS231n's FullyConnectedNet(normalization=...) option, a course's API
    training_config = {"training/trainer.py", "cli/train.py", "bench/runner.py", "models/build.py"}
    # ... whose "layernorm" is also a kind's name (CS231n assignment 2), and no training role
    roles = {k.training_role for k in KINDS.values()} | set(ACTIVATIONS) | {"layernorm"}
    for name in KINDS:
        pattern = re.compile(rf"[\"']{name}[\"']")
        homes = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if pattern.search(p.read_text())}
        # another kind's module may use the same word as one of its own names (the second volume's class
        # RNN is one step, kind rnn_step; CS231n's rnn_forward is kind rnn; deeplearning.ai's conv_forward is kind
        # conv_channels_last, by its course stem): a name, not dispatch
        namesakes = {f"kinds/{k.name}.py" for k in KINDS.values()
                     if name in (*k.class_names, *k.function_stems, *k.course_stems)}
        # the derivative fix family reads the user's own calls (np.tanh, sigmoid(z)) and their derivatives' forms
        # (y * (1 - y), 1 - y ** 2, x > 0): names of functions in the user's code, not a kind's dispatch
        readers = {"fixes/derivatives.py"} if name in ("sigmoid", "tanh", "relu") else set()
        # ... and so does the coupling fix family, a call of a function named softmax and a diagnosis that names one
        readers |= {"fixes/coupling.py"} if name == "softmax" else set()
        others = homes - {f"kinds/{name}.py"} - namesakes - readers
        assert f"kinds/{name}.py" in homes
        if others:
            assert others <= training_config and name in roles, f"{name!r} is spelled out in {sorted(others)}"
