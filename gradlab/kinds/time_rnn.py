"""The textbook's second volume's TimeRNN: a vanilla RNN over a whole sequence, from a zero state.

Names: `TimeRNN(Wx, Wh, b, stateful=False)` with `forward(xs) -> hs` and `backward(dhs) -> dxs`,
gradients in its `grads = [dWx, dWh, db]` list: xs (N, T, D), Wx (D, H), Wh (H, H), b (H,), hs (N,
T, H). Checked with `stateful=False` (its default): every forward starts from h = 0, so there is no
h0 to differentiate (CS231n's `rnn_forward` takes one: that is the rnn kind). Some cases also build it
with `stateful=True` and call it twice (`Kind.carried_state`): the second forward starts from the h
the first left, and the layer's `self.dh` must be the gradient of that carried h. The book computes hs
in float32 (`np.empty(..., dtype='f')`): it is judged at that precision. The classic bugs are the
rnn kind's, named the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import CarriedState, Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import RNN
from gradlab.kinds.rnn_shares import StepShares
from gradlab.kinds.rnn_step import IN_SPAN, OUT_OF_SPAN, RECURRENT_SCALES, draw_sizes, one_step_share, recurrent_params


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, D, H = spec["N"], spec["T"], spec["D"], spec["H"]
    return Case(values(rng, (N, T, D), spec), None, recurrent_params(rng, D, H), stateful_hyper(spec), spec)


def stateful_hyper(spec: Spec) -> dict[str, Any]:
    """The constructor's `stateful`: True for a case drawn to carry its state, else False, said
    explicitly for a layer that takes it without a default (`TimeRNN(Wx, Wh, b, stateful)`). The time
    kinds share it."""
    return {"stateful": bool(spec.get("stateful"))}


def draw_stateful(draw: Draw) -> Spec:
    """Whether a case carries its state between two calls; only the cases that do say so, so that
    shrinking (towards False) ends at a stateless case unless the failure needs the carried state."""
    return {"stateful": True} if draw(st.booleans()) else {}


#: a sequence run from a state: (xs, state) -> (hs, the last state)
Run = Callable[[np.ndarray, Any], tuple[np.ndarray, Any]]


def carried_outputs(case: Case, run: Run, zero: Any) -> list[np.ndarray]:
    """The forwards the grader accepts for a sequence `run(xs, state) -> (hs, last state)` from `zero`:
    from the state a first call on the sequence reversed in time left, for a stateful case, and from
    zeros (a layer that cannot be built stateful is checked as built, its gradients then say nothing of
    a carried state)."""
    fresh = run(case.x, zero)[0]
    if not case.hyper.get("stateful"):
        return [fresh]
    return [run(case.x, run(case.x[:, ::-1], zero)[1])[0], fresh]


def _sequence(xs: np.ndarray, h: np.ndarray, p: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    hs = []
    for t in range(xs.shape[1]):
        h = np.tanh(xs[:, t] @ p["Wx"] + h @ p["Wh"] + p["b"])
        hs.append(h)
    return np.stack(hs, axis=1), h


def forward_candidates(case: Case) -> list[np.ndarray]:
    zero = np.zeros((case.N, case.params["Wh"].shape[0]))
    return carried_outputs(case, lambda xs, h: _sequence(xs, h, case.params), zero)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {**draw_sizes(draw, ("T", "D", "H")), **draw_stateful(draw)}


def carried_share_missing(case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                          hs: np.ndarray) -> tuple[str, str] | None:
    """A stateful case's dWh without the first step's share (the step that starts from the carried h,
    backward taking its previous state for zeros): what is missing, h_carried.T @ da_0, lies in the span
    of the carried h, the true dWh does not. Said only where that span is informative (N < H);
    otherwise, and for the other weights, the recurrent kinds' reading (`one_step_share`)."""
    if target == "Wh" and case.hyper.get("stateful") and analytic.shape == numeric.shape:
        carried = _sequence(case.x[:, ::-1], np.zeros((case.N, case.params["Wh"].shape[0])), case.params)[1]
        if carried.shape[0] < carried.shape[1]:
            Q, _ = np.linalg.qr(carried.T)
            missing = numeric - analytic
            outside = [float(np.linalg.norm(A - Q @ (Q.T @ A))) / max(float(np.linalg.norm(A)), 1e-300)
                       for A in (missing, numeric)]
            if np.any(missing) and outside[0] <= IN_SPAN and outside[1] > OUT_OF_SPAN:
                return ("dropped-term", "dWh lacks the first time step's share, carried_h.T @ da_0: in a stateful "
                        "call the first step starts from the h the previous call left, not from zeros")
    return one_step_share(case, target, analytic, numeric, hs)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 5, "D": 3, "H": 2}


KIND = Kind(
    "time_rnn", ("timernn", "simplernn"), build, draw_shape, batch_spec,
    params=("Wx", "Wh", "b"), scales=RECURRENT_SCALES,
    explain=StepShares(WrongInput(RNN, sequence=True, first=carried_share_missing)),
    carried_state=CarriedState(("h",)), forward_candidates=forward_candidates,
)
