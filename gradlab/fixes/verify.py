"""Is an edited layer right? A cheap screen on the failing case first, then the whole check again.

The screen runs the case the check failed on (and the same with another batch size) and says, per
gradient, which pass: it sorts out most candidates in milliseconds, and tells the search which
gradients an edit repairs, so that a bug in two gradients (`dW` and `db` both divided by N) can be
fixed by two edits found one at a time. A candidate that passes the screen is checked as the layer
was (`check_entry`, the same seed and cases, the failing case first) and on new cases (the next seed);
its forward must give the layer's own outputs on every screened case, unless the layer's bug is in
its forward, where the output must then match the kind's reference layer. A layer whose own forward differs
from the kind's reference (`off_reference`: a loss that lost its `/ N`) was diagnosed against that wrong
forward, so an edit that leaves the forward as it is would bend the gradient to fit it: there, only an edit
whose forward matches the reference is a fix (`fits_reference`). Kinds without a reference are judged as before.
Non-goal: proposing edits.
"""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlab.cases.forward_reference import check_forward, reference_entry, reference_output
from gradlab.cases.runner import check_entry, run_case
from gradlab.conventions.adapters import adapt
from gradlab.conventions.registry import Entry
from gradlab.core.results import FAIL, LayerReport
from gradlab.core.tolerances import FORWARD_ATOL, FORWARD_RTOL
from gradlab.kinds import KINDS, build_case

__all__ = ["FORWARD_BUGS", "FORWARD_FAMILIES", "Screen", "fits_reference", "forward_outputs", "forward_specs",
           "off_reference", "passes_check", "same_forward", "screen", "screen_specs"]

#: codes of bugs that live in the forward: a fix of one may change the forward, towards the reference layer
FORWARD_BUGS = frozenset({"mutates-input", "couples-samples", "non-finite"})
#: families of edit that fix a forward off the kind's reference by their nature (an unbiased variance where the layer's
#: divides by N): such a candidate may change the forward whatever the bug code, and must then bring it to the reference
FORWARD_FAMILIES = frozenset({"ddof"})


@dataclass(frozen=True)
class Screen:
    """What the screened cases showed: the gradients that passed on all of them, and whether all passed."""

    passed: frozenset[str]
    clean: bool  # no gradient failed and nothing else (a crash, a mutated input) failed

    def repairs(self, original: Screen) -> frozenset[str]:
        return self.passed - original.passed


def screen_specs(entry: Entry, report: LayerReport) -> list[tuple[dict[str, Any], bool]]:
    """(spec, judged on finiteness only): the failing case, the same with another batch size (a factor of N
    shows only when N > 1) unless the layer takes one sample at a time, and the fixed extreme case that failed
    too, if one did."""
    assert report.failing is not None
    extremes = KINDS[entry.kind].extreme_specs(entry.convention)
    out: list[tuple[dict[str, Any], bool]] = []
    for failing in (report.failing, report.extreme_failure):
        if failing is None:
            continue
        spec = dict(failing.spec)
        extreme = any(all(spec.get(k) == v for k, v in e.items()) for e in extremes)
        out.append((spec, extreme))
        # a layer checked one sample at a time (entry.options["samples"]) runs no other batch size
        if not extreme and not entry.options.get("samples"):
            out.append(({**spec, "N": 4 if spec.get("N") != 4 else 3}, False))
    return out


def screen(entry: Entry, specs: list[tuple[dict[str, Any], bool]], baseline: Screen | None = None) -> Screen:
    """The screen of `entry` on `specs`; it stops at the first case that shows the edit repairs nothing
    beyond `baseline` (most candidates: the next cases cannot make it a fix or a partial repair)."""
    passed: set[str] | None = None
    clean = True
    for spec, finite_only in specs:
        result = run_case(entry, spec, finite_only=finite_only)
        here = {g.name for g in result.gradients if g.passed}
        passed = here if passed is None else passed & here
        clean = clean and not result.failed
        if baseline is not None and not clean and not passed - baseline.passed:
            break
    return Screen(frozenset(passed or ()), clean)


def forward_outputs(entry: Entry, specs: list[tuple[dict[str, Any], bool]]) -> list[np.ndarray | None]:
    """The layer's forward output on each spec (None where it raises), numpy's global random state seeded
    before each call so that a dropout mask is the same for the layer and its edited copy."""
    kind = KINDS[entry.kind]
    out: list[np.ndarray | None] = []
    for spec, _ in specs:
        case = build_case(kind, spec)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                np.random.seed(0)
                layer = adapt(entry, kind, copy.deepcopy(case))
                out.append(np.array(layer.forward(case.x.copy(), None if case.t is None else case.t.copy()),
                                    dtype=np.float64))
        except Exception:  # noqa: BLE001 - a forward that raises is compared as "no output"
            out.append(None)
    return out


def forward_specs(entry: Entry, specs: list[tuple[dict[str, Any], bool]]) -> list[tuple[dict[str, Any], bool]]:
    """The screened cases and two ordinary ones of the kind: a shrunk failing case can be degenerate (batch
    norm over one feature is a constant), and a forward must be the same on more than that."""
    kind = KINDS[entry.kind]
    try:
        base = kind.batch_spec(entry.convention)
    except NotImplementedError:
        return specs
    return [*specs, *(({**base, "N": 5, "scale": 1.0, "seed": s}, False) for s in (1, 2))]


def same_forward(entry: Entry, specs: list[tuple[dict[str, Any], bool]], before: list[np.ndarray | None],
                 forward_bug: bool) -> bool:
    """Whether the edited layer's forward gives the outputs `before`: on every case, or, where the layer's bug is
    in its forward (or its forward raised), the reference layer's outputs instead."""
    after = forward_outputs(entry, specs)
    # a case both forwards refuse (labels of the encoding the layer does not take) says nothing, but at least
    # one case must have been compared
    pairs = [(a, b) for a, b in zip(after, before, strict=True) if a is not None or b is not None]
    if pairs and all(_close(a, b) for a, b in pairs):
        return True
    if not forward_bug and all(b is not None for _, b in pairs):
        return False
    reference = _reference_outputs(entry.kind, specs)
    compared = [(a, b, r) for a, b, r in zip(after, before, reference, strict=True) if a is not None or b is not None]
    return bool(compared) and all(_close(a, b) or (forward_bug or b is None) and _close(a, r) for a, b, r in compared)


def _close(a: np.ndarray | None, b: np.ndarray | None) -> bool:
    if a is None or b is None:  # a forward that raised proves nothing about the edited one
        return False
    if a.shape != b.shape or not np.isfinite(a).all():
        return False
    atol = FORWARD_ATOL * max(1.0, float(np.abs(b[np.isfinite(b)]).max(initial=0.0)))
    return bool(np.allclose(a, b, rtol=FORWARD_RTOL, atol=atol, equal_nan=False)) or not np.isfinite(b).all()


def _reference_outputs(kind: str, specs: list[tuple[dict[str, Any], bool]]) -> list[np.ndarray | None]:
    # the kind's reference as the forward check finds it: the core layers first, then the assignments' (layer norm)
    try:
        return forward_outputs(reference_entry(KINDS[kind]), specs)
    except (ImportError, LookupError, KeyError):  # in the grader's sandbox the reference layers are out of reach
        return [None] * len(specs)


def off_reference(entry: Entry, specs: list[tuple[dict[str, Any], bool]],
                  outputs: list[np.ndarray | None]) -> str | None:
    """One line saying how a loss's forward (its `outputs` on `specs`) differs from the kind's reference on
    an ordinary case, with what the kind accepts besides; None where it matches on every case, for a layer that
    is not a loss, and for a kind without a reference (or out of the reference layers' reach, as in the grader's
    sandbox)."""
    kind = KINDS[entry.kind]
    if not kind.is_loss:
        # a loss's value is one number the reference pins down in every convention; a layer's output is compared in
        # the convention it is written in (deeplearning.ai's columns, an activation string) only by the grader's
        # adapters, and a false "differs" here would withhold a right fix
        return None
    for (spec, extreme), out in zip(specs, outputs, strict=True):
        if extreme or out is None:  # an extreme case is judged on finiteness; a forward that raised proves nothing
            continue
        case = build_case(kind, spec)
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                verdict = check_forward(kind, case, out)
                if verdict.ok:
                    continue
                ref = None if kind.forward_accepts is not None else \
                    (kind.forward_candidates(case)[0] if kind.forward_candidates else reference_output(kind, case))
        except (LookupError, ImportError):
            return None
        except Exception:  # noqa: BLE001 - a reference that cannot run this case says nothing about the layer
            continue
        measured = _factor(kind.is_loss, out, ref, spec.get("N"))
        if measured is None and _own_setting(entry.target):
            # a loss run at a setting of its own (`huber_loss(x, y, delta=1.5)`) differs from the reference, written at
            # the kind's usual one, by more than a factor: that proves nothing of its forward, and a right fix of its
            # backward must not be withheld for it (a lost 1/N is measured as a factor all the same)
            return None
        what = measured or verdict.message
        return f"{what}; the diagnosis above is relative to the layer's own forward, so no edit of backward alone " \
               "is shown"
    return None


def _own_setting(target: Any) -> bool:
    """Whether a loss function takes a setting with a default of its own (`delta=1.5`, `margin=1.0`): a number a
    reference may write otherwise; an epsilon below 1e-3 (`eps=1e-12`) only guards a log or a division."""
    funcs = target if isinstance(target, tuple) else (target,)
    for f in funcs:
        try:
            params = inspect.signature(f).parameters.values()
        except (TypeError, ValueError):
            continue
        if any(isinstance(p.default, (int, float)) and not isinstance(p.default, bool) and abs(p.default) >= 1e-3
               for p in params):
            return True
    return False


def _factor(is_loss: bool, out: np.ndarray, ref: np.ndarray | None, n: Any) -> str | None:
    """The forward's output as a measured multiple of the reference's, in words, when it is one."""
    if ref is None or out.size != ref.size or not np.isfinite(out).all() or not np.any(ref):
        return None
    out, ref = out.reshape(ref.shape), ref
    c = float(np.sum(out * ref) / np.sum(ref * ref))
    if c == 0 or not _close(out, c * ref):
        return None
    what = "the loss" if is_loss else "the forward's output"
    if isinstance(n, int) and n > 1 and np.isclose(c, n, rtol=1e-6):
        return f"{what} is N={n} times the reference's: forward's mean over the batch is missing"
    if isinstance(n, int) and n > 1 and np.isclose(c * n, 1.0, rtol=1e-6):
        return f"{what} is 1/N=1/{n} of the reference's: forward divides by N once too often"
    # one number is always some multiple of another: only a whole array's factor is measured evidence
    return f"{what} is {c:.4g} times the reference's" if out.size > 1 else None


def fits_reference(entry: Entry, specs: list[tuple[dict[str, Any], bool]]) -> bool:
    """Whether the edited layer's forward matches the kind's reference on every ordinary case of `specs` (and
    stays finite on the extreme ones): what a fix of a layer whose forward was off the reference must do."""
    after = forward_outputs(entry, specs)
    ran = [(s, a) for s, a in zip(specs, after, strict=True) if a is not None]
    if not ran or not all(np.isfinite(a).all() for (_, extreme), a in ran if extreme):
        return False
    return off_reference(entry, [s for s, _ in ran], [a for _, a in ran]) is None


def passes_check(entry: Entry, report: LayerReport, *, examples: int, seed: int,
                 options: Mapping[str, Any] | None = None) -> bool:
    """The whole check, as the layer had it (same seed, its failing case first) and on the next seed's cases."""
    replay = [report.failing.spec] if report.failing is not None else []
    for s in (seed, seed + 1):
        if check_entry(entry, examples=examples, seed=s, replay=replay).verdict == FAIL:
            return False
    return True
