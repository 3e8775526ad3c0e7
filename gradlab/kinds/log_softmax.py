"""Log-softmax over the last axis, without a loss: x − log Σ exp(x), row by row (PyTorch's `LogSoftmax`, which an
`NLLLoss` follows). Names: `LogSoftmax`, `LogSoftMax`, `log_softmax_forward/backward(x)`. Drawn with at least two
classes (over one the output is the constant 0). Its backward is dout − softmax(x)·Σ dout; logits near 1000 must stay
finite (the row maximum subtracted before exp, never log(softmax(x))).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

from gradlab.core.kind import Case, Draw, Kind, Spec
from gradlab.kinds.common import elementwise_case, logits_near_1000


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"shape": (draw(st.integers(2, 6)),)}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"shape": (4,)}


#: the backwards that leave out the row sum of dout, as written in learners' code: the shortcut that holds only below
#: an NLL loss, whose upstream rows sum to 1 (dout − softmax), and the Jacobian's diagonal alone (dout·(1 − softmax));
#: the true one is dout − softmax·Σ dout
SLIPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "dout - softmax": lambda dout, p: dout - p,
    "dout * (1 - softmax)": lambda dout, p: dout * (1 - p),
}


@dataclass(frozen=True)
class RowSumReading:
    """`Kind.explain`: a dx that is one of `SLIPS` is `dropped-term`, the missing sum of dout named. Needs the
    upstream gradient."""

    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray, out: np.ndarray,
                 upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        if target != "x" or upstream is None or upstream.shape != case.x.shape:
            return None
        e = np.exp(case.x - case.x.max(axis=-1, keepdims=True))
        softmax = e / e.sum(axis=-1, keepdims=True)
        for written, slip in SLIPS.items():
            if np.allclose(analytic, slip(upstream, softmax), rtol=1e-6, atol=1e-12):
                return ("dropped-term", f"dx is {written}: the row's sum of dout is missing (every output of a row "
                        "depends on every input through the log of the sum); write dx = dout - softmax * "
                        "dout.sum(axis=-1, keepdims=True)")
        return None


KIND = Kind("log_softmax", ("logsoftmax", "logsoftmaxactivation"), elementwise_case, draw_shape,
            batch_spec, function_stems=("log_softmax", "logsoftmax"), extreme_specs=logits_near_1000,
            explain=RowSumReading())
