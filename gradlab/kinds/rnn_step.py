"""One step of a vanilla RNN: next_h = tanh(x @ Wx + prev_h @ Wh + b).

Names: `rnn_step_forward/backward(x, prev_h, Wx, Wh, b)` (CS231n assignment 3): x (N, D), prev_h
(N, H), Wx (D, H), Wh (H, H), b (H,); backward returns (dx, dprev_h, dWx, dWh, db). prev_h holds one
row per sample, so a sample run alone takes its own row. D and H differ, so a transposed dWx shows
in its shape; Wh is square by nature, so a transposed dWh shows in its values only.
The recurrent kinds share this module's weight and size helpers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.recurrent_backward import WrongInput
from gradlab.kinds.recurrent_cells import RNN

#: input scales: ordinary, and small; a large scale only saturates tanh, where every backward agrees
RECURRENT_SCALES = (1.0, 0.1)


def recurrent_params(rng: np.random.Generator, D: int, H: int, gates: int = 1) -> dict[str, np.ndarray]:
    """Wx (D, gates*H), Wh (H, gates*H) and b (gates*H,), scaled so that tanh and sigmoid stay lively."""
    return {"Wx": rng.standard_normal((D, gates * H)) / np.sqrt(D),
            "Wh": rng.standard_normal((H, gates * H)) / np.sqrt(H),
            "b": 0.5 * rng.standard_normal((gates * H,))}


def draw_sizes(draw: Draw, names: tuple[str, ...], *, max_H: int = 5, high: int = 5) -> Spec:
    """Sizes that all differ (D != H, and T too for a sequence), so transposes and wrong axes show.
    An LSTM keeps H <= 3: its Wh is (H, 4H), and a small one keeps every shrunk case's arrays small
    enough for plain central differences (the registry report then reads the same on any machine)."""
    H = draw(st.integers(2, max_H))
    others = [n for n in names if n != "H"]
    rest = draw(st.lists(st.integers(2, high).filter(lambda v: v != H), min_size=len(others),
                         max_size=len(others), unique=True))
    return {**dict(zip(others, rest)), "H": H}


#: a gradient lies in a span when what is left outside it is below this fraction of its norm ...
IN_SPAN = 1e-6
#: ... and the true gradient does not when more than this fraction is left
OUT_OF_SPAN = 1e-3


def step_inputs(case: Case, target: str, hs: np.ndarray) -> list[np.ndarray] | None:
    """What multiplies `target` at each time step of a sequence layer with outputs `hs` (N, T, H):
    x[:, t] for Wx, the previous hidden state (h0, then hs[:, t-1]) for Wh."""
    if target == "Wx":
        return [case.x[:, t] for t in range(case.x.shape[1])]
    if target == "Wh" and hs.ndim == 3:  # no h0 among the parameters: the layer starts from zeros
        h0 = case.params.get("h0", np.zeros((hs.shape[0], hs.shape[2])))
        return [h0, *(hs[:, t] for t in range(hs.shape[1] - 1))]
    return None


def _outside(Q: np.ndarray, A: np.ndarray) -> float:
    """The share of A's norm outside the span of Q's orthonormal columns."""
    return float(np.linalg.norm(A - Q @ (Q.T @ A))) / max(float(np.linalg.norm(A)), 1e-300)


def one_step_share(case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                   hs: np.ndarray) -> tuple[str, str] | None:
    """A weight gradient that is one time step's share alone (`dWh = dWh_t` where `+=` belongs): it lies
    in the span of that step's inputs (x_t.T @ da_t), the true sum over steps does not. Said only where
    the span is informative (fewer samples than the weight has rows)."""
    inputs = step_inputs(case, target, hs)
    if inputs is None or analytic.shape != numeric.shape or not np.any(analytic):
        return None
    for t, X in enumerate(inputs):
        if X.shape[0] >= X.shape[1]:
            return None
        if not np.any(X):  # a zero input (h0 = 0): that step has no share at all
            continue
        Q, _ = np.linalg.qr(X.T)  # an orthonormal basis of the step's inputs, (rows of the weight, N)
        if _outside(Q, analytic) <= IN_SPAN and _outside(Q, numeric) > OUT_OF_SPAN:
            return ("dropped-term", f"d{target} is the share of time step {t} alone (it lies in the span of that "
                    "step's input): the other steps' shares were overwritten instead of summed; accumulate "
                    f"with d{target} += over the time steps")
    return None


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, D, H = spec["N"], spec["D"], spec["H"]
    x = values(rng, (N, D), spec)
    prev_h = np.tanh(rng.standard_normal((N, H)))
    return Case(x, None, {"prev_h": prev_h, **recurrent_params(rng, D, H)}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_sizes(draw, ("D", "H"))


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"D": 3, "H": 5}


KIND = Kind(
    "rnn_step", ("rnn", "simplernncell"), build, draw_shape, batch_spec,
    function_stems=("rnn_step",), params=("prev_h", "Wx", "Wh", "b"), batch_params=("prev_h",),
    forward_inputs=("prev_h",),
    scales=RECURRENT_SCALES, explain=WrongInput(RNN),
)
