"""How the fix search judges an edited copy of a whole model (`gradlab.fixes.models` searches, this judges).

A failing model's fix search rebuilds its class from each edited copy of the user's file and asks three questions
of it, all answered here, where models are built and checked: does it pass the case the model failed on (the
screen, one build at small sizes: milliseconds), does it pass the whole check again, on the seed it was checked
with and on the next one (new cases), and does its forward give the same outputs as the model's own (an edit may
not bend the forward to fit a wrong backprop). It also says which methods are the model's backward and its forward,
and its failing gradients under the names its code writes them by (`nabla_w`, `grads['W1']`), which is what the
search reads to rank its candidates.
Non-goal: proposing or trying edits (`gradlab.fixes.models`), printing (`gradlab.cli.check`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from gradlab.core.results import FAIL, Finding, GradientResult
from gradlab.models.adapters import ModelCall, adapt, seeded
from gradlab.models.build import build, draw_sizes
from gradlab.models.nielsen import BACKPROP_NAMES, FEEDFORWARD_NAMES, feedforward_of
from gradlab.models.report import ModelReport

__all__ = ["SEARCHED_CONVENTIONS", "FixJudge", "judge_of"]

#: the conventions whose fix is searched: a model whose backward and forward are methods of its own class
SEARCHED_CONVENTIONS = ("nielsen", "cs231n", "textbook")
#: each convention's backward and forward methods (the methods they call on `self` are theirs too)
_METHODS = {
    "nielsen": (BACKPROP_NAMES, FEEDFORWARD_NAMES),
    "cs231n": (("loss",), ()),
    "textbook": (("gradient",), ("predict", "loss")),
}
#: cases the full check runs on each seed, as `gradlab check` checks a model
VERIFY_CASES = 3
#: the directional screen: its step and its (loose) tolerance, for float64 models
DIRECTION_STEP, DIRECTION_RTOL, DIRECTION_ATOL = 1e-6, 1e-3, 1e-7
#: a Nielsen parameter's name (`weights[0]`): its gradient is the book's `nabla_w`, written at any index (`nabla_w[-l]`)
_NIELSEN = re.compile(r"(weights|biases)\[\d+\]$")


@dataclass(frozen=True)
class FixJudge:
    """A failing model as the fix search sees it (`gradlab.fixes.models.ModelJudge`)."""

    name: str
    convention: str
    seed: int
    options: dict[str, Any] | None
    source: str
    backward_methods: tuple[str, ...]
    forward_methods: tuple[str, ...]
    #: the model's gradients, keyed and named as its code writes them
    gradients: tuple[GradientResult, ...]
    findings: tuple[Finding, ...]
    bug_codes: tuple[str, ...]

    def screen(self, model: type) -> bool:
        """Whether `model` passes the first case (one build, small sizes) with every gradient right: first along one
        random direction per parameter (two evaluations of the loss each), then element by element."""
        from gradlab.models.check import case_passes

        return _along_directions(model, self) and case_passes(model, self.convention, self.options, seed=self.seed)

    def passes(self, model: type) -> bool:
        """Whether `model` passes the whole check, on the model's seed and on the next one."""
        from gradlab.models.check import check_model

        return all(check_model(model, examples=VERIFY_CASES, seed=s, options=self.options, name=self.name,
                               source=self.source).verdict != FAIL for s in (self.seed, self.seed + 1))

    def outputs(self, model: type) -> list[np.ndarray | None]:
        """What `model`'s forward gives on each verifying case, built as the check builds it (None where it raised):
        its forward output (feedforward, scores, predict) and its loss."""
        out: list[np.ndarray | None] = []
        for k in range(VERIFY_CASES):
            try:
                with seeded([self.seed, k, 13]):
                    instance, _, sizes = build(model, draw_sizes(self.seed, k), self.options)
                call = adapt(self.convention, instance, sizes, np.random.default_rng([self.seed, k, 12]))
                out += [_forward(call), np.asarray(call.loss(), dtype=float)]
            except Exception:  # noqa: BLE001 - the user's code, edited: a forward that raises is compared as such
                out += [None, None]
        return out


def _along_directions(model: type, judge: FixJudge) -> bool:
    """Whether every gradient of `model`, on the first case, agrees with central differences of its loss along one
    random direction: most candidates are wrong by far more than the loose DIRECTION_RTOL, and are sorted out here
    at a fraction of a whole case's cost (element by element, each wrong gradient diagnosed)."""
    try:
        with seeded([judge.seed, 0, 13]):
            instance, _, sizes = build(model, draw_sizes(judge.seed, 0), judge.options)
        call = adapt(judge.convention, instance, sizes, np.random.default_rng([judge.seed, 0, 12]))
        grads = call.gradients()
        rng = np.random.default_rng([judge.seed, 0, 14])
        for name, p in call.params.items():
            g = grads.get(name)
            if g is None or np.shape(g) != p.shape:
                return False
            d, saved = rng.standard_normal(p.shape), p.copy()
            p += DIRECTION_STEP * d
            up = float(call.loss())
            p[...] = saved - DIRECTION_STEP * d
            down = float(call.loss())
            p[...] = saved
            numeric, analytic = (up - down) / (2 * DIRECTION_STEP), float(np.sum(np.asarray(g) * d))
            if not abs(numeric - analytic) <= DIRECTION_RTOL * (abs(numeric) + abs(analytic)) + DIRECTION_ATOL:
                return False
        return True
    except Exception:  # noqa: BLE001 - the user's code, edited: a model that raises is no fix
        return False


def _forward(call: ModelCall) -> np.ndarray | None:
    """The model's forward output on the case's data, apart from its loss."""
    with seeded():
        if call.convention == "nielsen":
            return np.asarray(feedforward_of(call.model)(call.data["x"]), dtype=float)
        if call.convention == "cs231n":
            return np.asarray(call.model.loss(call.data["X"]), dtype=float)
        predict = getattr(call.model, "predict", None)
        return np.asarray(predict(call.data["X"]), dtype=float) if callable(predict) else None


def judge_of(report: ModelReport) -> FixJudge | None:
    """The judge of a failing model's edited copies, or None where none is searched (a passing model, a second-volume
    model, a model that could not be built or run, a variant's class that is not kept)."""
    if report.verdict != FAIL or report.model is None or report.error or report.not_run or \
            report.convention not in SEARCHED_CONVENTIONS:
        return None
    backward, forward = _METHODS[report.convention]
    gradients = tuple(replace(g, name=_spelled(report.convention, k)) for k, g in report.gradients.items())
    return FixJudge(report.name, report.convention, report.seed, report.options, report.source, backward, forward,
                    gradients, report.findings, tuple(report.bug_codes))


def _spelled(convention: str, parameter: str) -> str:
    """How the model's code names a parameter's gradient: `nabla_w` for a Nielsen network's `weights[i]`, the
    parameter's own key elsewhere (`grads['W1']` is found by `W1`)."""
    found = _NIELSEN.match(parameter) if convention == "nielsen" else None
    return parameter if found is None else f"nabla_{found.group(1)[0]}"
