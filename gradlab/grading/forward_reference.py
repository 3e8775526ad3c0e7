"""Is the student's forward the right function? Compare it with gradlab's reference layers.

The gradient checks only prove that backward is the derivative of *the student's* forward: an
identity "ReLU" with `dx = dout` passes them. So the grader compares every forward output with the
reference layer's output on the same case (`gradlab.cases.forward_reference`, shared with the fix
search). Where courses legitimately differ, the kind's module says what else is accepted
(`Kind.forward_candidates`: batch norm's epsilons, the MSE loss's constants; `Kind.forward_accepts`:
a leaky ReLU's slope, dropout's scalings).
Forwards are also spot-checked at points a finite difference visits (`spot_check`), so the function
the gradients were checked against is the one compared with the reference, and once on a batch
bigger than any graded case (`bigger_batch_check`), so a forward right only on small batches fails.
Runs in the grader's process on trusted reference code only. Non-goal: checking gradients.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

# the comparison itself is shared with the fix search, which may not import the grader
from gradlab.cases.forward_reference import check_forward, reference_output
from gradlab.core.kind import Case, ForwardCheck, Kind
from gradlab.core.protocol import LayerCrash

__all__ = ["ForwardCheck", "bigger_batch_check", "check_forward", "reference_output", "forward_verdict", "spot_check",
           "with_activation"]


def with_activation(kind: Kind, name: str) -> Kind:
    """`kind`, or for a layer bound to its activation string (deeplearning.ai's `linear_activation[relu]`,
    `gradlab.conventions.activation_strings`) `kind` followed by that activation: the function its forward computes,
    which its output is compared with. Its gradients are checked as `kind`'s (the activation is inside them)."""
    from gradlab.kinds import kind_for_stem

    bound = re.fullmatch(r".+\[(\w+)\]", name.split("@")[0])
    activation = kind_for_stem(bound.group(1)) if bound is not None else None
    if activation is None or activation.params or activation.is_loss or activation.forward_accepts is not None:
        return kind

    def candidates(case: Case) -> list[np.ndarray]:
        before = kind.forward_candidates(case) if kind.forward_candidates else [reference_output(kind, case)]
        return [reference_output(activation, Case(z, None, {}, {}, dict(case.spec))) for z in before]

    return replace(kind, forward_candidates=candidates)


#: how many points a finite difference would visit (one element of x moved by a tiny step) the
#: forward is compared with the reference at, per case
SPOT_CHECKS = 3
SPOT_STEP = 1e-5


def spot_check(layer: Any, kind: Kind, case: Case, seed: int) -> ForwardCheck | None:
    """The student's forward at a few points a finite difference visits, compared with the reference
    there; None when it agrees everywhere (or the kind cannot be spot-checked).

    The gradient checks differentiate whatever the forward computes while it is being differentiated;
    comparing only its first output with the reference would let a forward that is right on its first
    call, or right except when it looks differentiated (tiny moves of one element), carry a backward
    consistent with some other function. Stochastic forwards (`forward_accepts`: dropout) are skipped, and so is a
    time layer's stateful case: its forward starts from the state a first call on the unmoved sequence left (the
    carried state is an input of its own, `gradlab.conventions.stateful_classes`), where the reference would start
    from the moved one's; its stateless cases are spot-checked."""
    stateful = kind.carried_state is not None and bool(case.hyper.get("stateful"))
    if kind.forward_accepts is not None or not kind.x_differentiable or case.x.size == 0 or stateful or \
            not callable(getattr(layer, "forward_perturbed", None)):
        return None
    rng = np.random.default_rng(seed)
    idx = rng.choice(case.x.size, size=min(SPOT_CHECKS, case.x.size), replace=False)
    step = SPOT_STEP * max(1.0, float(np.abs(case.x).max(initial=0.0)))
    values = case.x.reshape(-1)[idx] + step * rng.choice([-1.0, 1.0], size=idx.size)
    outs = layer.forward_perturbed("x", idx, values, x=case.x.copy(), t=None if case.t is None else case.t.copy())
    for row, i, v in zip(np.asarray(outs), idx.tolist(), values.tolist()):
        moved = copy.deepcopy(case)
        moved.x.flat[i] = v
        verdict = check_forward(kind, moved, row)
        if not verdict.ok:
            where = ", ".join(map(str, np.unravel_index(i, case.x.shape)))
            return ForwardCheck(False, f"with x[{where}] moved by {v - float(case.x.flat[i]):.1e} (as a finite "
                                       f"difference does), {verdict.message}: forward must compute the same "
                                       "function on every call")
    return None


#: the batch sizes a bigger-batch check draws from: past every graded case (N <= 5), drawn per layer
#: so a forward cannot be right at one guessed size only
BIG_BATCH = (12, 49)


def bigger_batch_check(make: Callable[[Case], Any], kind: Kind, spec: dict[str, Any],
                       seed: int) -> ForwardCheck | None:
    """The student's forward (a fresh layer from `make`) on a batch bigger than the graded ones, the
    case otherwise like `spec`, compared with the reference; None when it agrees (or the kind's cases
    cannot be built at that size). Stochastic forwards (`forward_accepts`: dropout) are skipped."""
    from gradlab.kinds import build_case

    if kind.forward_accepts is not None:
        return None
    n = int(np.random.default_rng(seed).integers(*BIG_BATCH))
    try:
        case = build_case(kind, {**spec, "N": n})
    except Exception:  # a kind whose other sizes depend on N: its graded cases stand alone
        return None
    try:
        out = make(case).forward(case.x.copy(), None if case.t is None else case.t.copy())
    except LayerCrash as exc:
        return ForwardCheck(False, f"forward raised on a batch of {n} samples: {exc.detail}")
    verdict = check_forward(kind, case, out)
    if verdict.ok:
        return None
    return ForwardCheck(False, f"on a batch of {n} samples (bigger than the graded cases), {verdict.message}: "
                               "forward must compute the same function at every batch size")


def forward_verdict(made: list[Any], kind: Kind, case: Case, seed: int, *, name: str = "",
                    make: Callable[[Case], Any] | None = None, bigger: bool = False) -> ForwardCheck:
    """The forward's first output (`made[0]`, the grader's proxy of the layer named `name`) compared with the
    reference, then the forward at points a finite difference visits (`spot_check`) on a layer fresh from `make`
    (diagnosis may have left the checked one as a backward that updates its weights found it), and with `bigger`, a
    fresh layer on a bigger batch."""
    kind = with_activation(kind, name)
    fwd = check_forward(kind, case, made[0].first_output if made else None)
    if not fwd.ok or not made:
        return fwd
    try:
        spot = spot_check(made[0] if make is None else make(copy.deepcopy(case)), kind, case, seed)
    except LayerCrash as exc:
        return ForwardCheck(False, f"forward raised at a point a finite difference visits: {exc.detail}")
    if spot is None and bigger and make is not None:
        spot = bigger_batch_check(make, kind, dict(case.spec), seed)
    return spot or fwd
