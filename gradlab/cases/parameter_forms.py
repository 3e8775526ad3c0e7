"""Which form of a parameter a layer is written for, when a kind's right layers differ (`Kind.parameter_forms`:
PReLU's slope is one number, one per feature, or one per channel), found by running the layer once in each.

Shared by the checker's runner, the grader (whose run goes through its sandbox) and the batch-versus-sample run.
Non-goal: checking the layer in the form found (that is `gradlab.cases.runner`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from gradlab.conventions.adapters import adapt
from gradlab.conventions.registry import Entry
from gradlab.kinds import Case, Kind, build_case

__all__ = ["forward_backward", "parameter_form"]


def parameter_form(kind: Kind, convention: str, run: Callable[[Case], tuple[Any, Mapping[str, Any]]], *,
                   reraise: tuple[type[BaseException], ...] = ()) -> dict[str, Any]:
    """The first of the kind's `parameter_forms` the layer runs with ({} if none, or the kind has none): `run(case)`
    returns forward's output and backward's parameter gradients; the form fits when the output has x's shape and the
    parameter's gradient as many values as the parameter. Anything `run` raises means "no", except `reraise` (the
    grader's own failures)."""
    forms = kind.parameter_forms
    if forms is None:
        return {}
    for form in forms.forms:
        case = build_case(kind, {"N": 3, **kind.batch_spec(convention), **form, "scale": 1.0, "seed": 0})
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                y, grads = run(case)
        except reraise:
            raise
        except Exception:
            continue
        grad = grads.get(forms.param)
        if np.shape(y) == case.x.shape and grad is not None and np.size(grad) == case.params[forms.param].size:
            return dict(form)
    return {}


def forward_backward(entry: Entry, kind: Kind, case: Case) -> tuple[np.ndarray, Mapping[str, Any]]:
    """The layer's output on the case and its parameter gradients for a random upstream gradient."""
    layer = adapt(entry, kind, case)
    y = layer.forward(case.x.copy(), None)
    _, grads = layer.backward(np.random.default_rng(0).standard_normal(np.shape(y)))
    return y, grads
