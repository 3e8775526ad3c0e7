"""Cases a layer cannot be given, by the way it is built: set aside, never failed.

A convolution built from sizes and one kernel size (`Conv2D(in_channels, out_channels, kernel_size)`) draws square
filters (kernel_size by kernel_size) and may rely on it in backward (`int(np.sqrt(kh * kw))`): a case whose filters
are of another height than width is not one it can be handed, as a layer asserting its geometry refuses a case.
Non-goal: deciding which cases to draw (that is `gradlab.cases.strategies`).
"""

from __future__ import annotations

from gradlab.core.protocol import LayerCrash
from gradlab.kinds import Case

__all__ = ["CaseRefused", "refuse_other_kernels"]


class CaseRefused(LayerCrash):
    """The case cannot be given to the layer as it is built; `reason` completes "it ..." in the report's note."""

    def __init__(self, call: str, reason: str):
        super().__init__(call, reason)
        self.reason = reason


def refuse_other_kernels(name: str, argument: str, case: Case) -> None:
    """Raises CaseRefused when the case's filters W (F, C, HH, WW) are not square, for a layer whose constructor
    takes one kernel size (`argument`)."""
    weights = case.params.get("W")
    if weights is not None and weights.ndim == 4 and weights.shape[2] != weights.shape[3]:
        # one reason for every such case, so that the report's note says it once
        raise CaseRefused(f"{name}(...)", f"is built from one {argument}, so it takes square filters only")
