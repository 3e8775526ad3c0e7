"""Softmax over the last axis, without a loss: `Softmax` or `softmax_forward/backward(x)`.

It is drawn with at least two classes: over one class a softmax is the constant 1 and its true
gradient is zero, which hides every bug.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from gradlab.core.kind import Draw, Kind, Spec
from gradlab.kinds.common import elementwise_case, logits_near_1000


def draw_shape(draw: Draw, **_: Any) -> Spec:
    return {"shape": (draw(st.integers(2, 6)),)}


def batch_spec(convention: str) -> Spec:
    """The fixed shape of a batch-versus-per-sample run."""
    return {"shape": (4,)}


KIND = Kind("softmax", ("softmax",), elementwise_case, draw_shape, batch_spec,
            function_stems=("softmax",), extreme_specs=logits_near_1000)
