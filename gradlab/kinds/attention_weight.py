"""The second volume's AttentionWeight (chapter 8): how much each encoder state matches the decoder's.

Names: `AttentionWeight()` with `forward(hs, h) -> a` and `backward(da) -> (dhs, dh)`: hs (N, T, H) the
encoder's hidden states, h (N, H) one decoder state, a = softmax over T of the scores hs[n, t] · h[n]
(N, T). h holds one row per sample and is a forward argument. A softmax taken over the wrong axis
couples the samples; T and H differ, so dh summed over the wrong axis shows in its shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import values
from gradlab.kinds.weight_sum import ATTENTION_SCALES, draw_attention_sizes

#: a difference from the true gradient is one per-row multiple of the coupling term when what is left
#: outside it is below this fraction of the difference
IN_TERM = 1e-4


def coupling_dropped(case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                     out: np.ndarray) -> tuple[str, str] | None:
    """A softmax backward without its coupling term (`ds = a * da` where `ds = a * (da - sum(a * da))`
    belongs): the gradient is then off by s[n] * a[n, t] * h[n] in dhs and by s[n] * (a[n] · hs[n]) in dh,
    one unknown number s[n] per sample. Read off the case, never off the layer's output (an Attention's
    output is the context, not the weights)."""
    hs, h = case.x, case.params["h"]
    scores = np.einsum("nth,nh->nt", hs, h)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    a = e / e.sum(axis=1, keepdims=True)
    if target == "x":
        term = a[:, :, None] * h[:, None, :]
    elif target == "h":
        term = np.einsum("nt,nth->nh", a, hs)
    else:
        return None
    N = hs.shape[0]
    diff, term = (analytic - numeric).reshape(N, -1), term.reshape(N, -1)
    coef = np.sum(diff * term, axis=1) / np.maximum(np.sum(term * term, axis=1), 1e-300)
    left = float(np.linalg.norm(diff - coef[:, None] * term))
    if not np.any(diff) or left > IN_TERM * float(np.linalg.norm(diff)):
        return None
    name = "hs" if target == "x" else "h"
    return ("dropped-term", f"the gradient of {name} is off by a multiple of the attention weights a per sample: "
            "the softmax's coupling term is missing; its backward is ds = a * (da - sum(a * da, over T)), not a * da")


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
    explain=coupling_dropped,
)
