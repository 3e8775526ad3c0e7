"""The second volume's AttentionWeight (chapter 8): how much each encoder state matches the decoder's.

Names: `AttentionWeight()` with `forward(hs, h) -> a` and `backward(da) -> (dhs, dh)`: hs (N, T, H) the
encoder's hidden states, h (N, H) one decoder state, a = softmax over T of the scores hs[n, t] · h[n]
(N, T). h holds one row per sample and is a forward argument. A softmax taken over the wrong axis
couples the samples; T and H differ, so dh summed over the wrong axis shows in its shape.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.weight_sum import ATTENTION_SCALES, draw_attention_sizes

#: a gradient is a slip's prediction when it differs from it by at most this fraction of its norm
SAME = 1e-5
#: the softmax backwards that leave out its coupling term, as written in course code: the
#: Jacobian's diagonal alone (each weight as if it depended on its own score only), or nothing
#: of the Jacobian but the weights themselves (the true one is a * (da - sum over T of a * da))
SLIPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "da * a * (1 - a)": lambda a, da: da * a * (1 - a),
    "a * da": lambda a, da: a * da,
}


def weights_of(hs: np.ndarray, h: np.ndarray) -> np.ndarray:
    """a = softmax over T of hs[n, t] · h[n], read off the case (an Attention's output is the context)."""
    scores = np.einsum("nth,nh->nt", hs, h)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


#: (case, gradient target, upstream gradient, a softmax backward) -> the gradient of that target the whole
#: layer returns with that softmax backward, or None for a target the reading says nothing about
Predict = Callable[[Case, str, np.ndarray, Callable[[np.ndarray, np.ndarray], np.ndarray]], "np.ndarray | None"]


@dataclass(frozen=True)
class CouplingReading:
    """`Kind.explain` for a layer with an attention softmax inside: dropped-term when a failing gradient is
    exactly what the layer returns with one of `SLIPS` for its softmax backward (`predict` says what that is
    for each input), the coupling term named. Needs the upstream gradient (`reads_upstream`)."""

    predict: Predict
    #: display names of the targets ("x" is hs, or hs_enc)
    names: tuple[tuple[str, str], ...]
    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        if upstream is None:
            return None
        for written, slip in SLIPS.items():
            expected = self.predict(case, target, upstream, slip)
            if expected is None:
                return None
            if expected.shape == analytic.shape and float(np.linalg.norm(analytic - expected)) <= \
                    SAME * max(float(np.linalg.norm(expected)), 1e-300):
                name = dict(self.names).get(target, target)
                return ("dropped-term", f"the gradient of {name} is the one a softmax backward of ds = {written} "
                        "gives: the softmax's coupling term is missing (every weight depends on every score); "
                        "write ds = a * (da - sum(a * da over T))")
        return None


def _predict(case: Case, target: str, upstream: np.ndarray,
             slip: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray | None:
    hs, h = case.x, case.params["h"]
    ds = slip(weights_of(hs, h), upstream)
    if target == "x":
        return ds[:, :, None] * h[:, None, :]
    return np.einsum("nt,nth->nh", ds, hs) if target == "h" else None


coupling_dropped = CouplingReading(_predict, (("x", "hs"), ("h", "h")))


def _true_ds(case: Case, upstream: np.ndarray) -> np.ndarray:
    a = weights_of(case.x, case.params["h"])
    return a * (upstream - (a * upstream).sum(axis=1, keepdims=True))


@dataclass(frozen=True)
class ScoreReading:
    """`Kind.explain`: the softmax's coupling term dropped (`coupling_dropped`), or a score's gradient multiplied by
    the wrong factor of the product hs[n, t] · h[n] (its own input where the other belongs): `wrong-input`."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        found = coupling_dropped(case, target, analytic, numeric, out, upstream)
        if found is not None or upstream is None or upstream.shape != out.shape:
            return found
        hs, ds = case.x, _true_ds(case, upstream)
        # (dh = sum over T of ds · h is all zero, the softmax's ds summing to 0: the check's own measurement names it)
        if target != "x":
            return None
        wrote = ds[:, :, None] * hs
        size = max(float(np.linalg.norm(wrote)), 1e-300)
        if wrote.shape == analytic.shape and float(np.linalg.norm(analytic - wrote)) <= SAME * size and \
                float(np.linalg.norm(numeric - wrote)) > 1e-3 * size:
            return ("wrong-input", "dhs is ds · hs, the encoder states themselves, where ds · h belongs: the score "
                    "s = hs[n, t] · h[n] is a product, so each factor's gradient is ds times the other factor")
        return None


def build(spec: Spec, rng: np.random.Generator) -> Case:
    N, T, H = spec["N"], spec["T"], spec["H"]
    return Case(values(rng, (N, T, H), spec), None, {"h": np.tanh(rng.standard_normal((N, H)))}, {}, spec)


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return draw_attention_sizes(draw)


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"T": 4, "H": 3}


KIND = Kind(
    "attention_weight", ("attentionweight",), build, draw_shape, batch_spec,
    params=("h",), forward_inputs=("h",), batch_params=("h",), scales=ATTENTION_SCALES,
    explain=ScoreReading(),
)
