"""Cases a layer cannot be given, by the way it is built: set aside, never failed.

A convolution given its filters whose code reads one size of them (`F, C, k, _ = self.W.shape`, then windows
`i:i + k, j:j + k`) has no width to use either: the same cases are set aside (`one_filter_size`).
A convolution built from sizes and one kernel size (`Conv2D(in_channels, out_channels, kernel_size)`) draws square
filters (kernel_size by kernel_size) and may rely on it in backward (`int(np.sqrt(kh * kw))`): a case whose filters
are of another height than width is not one it can be handed, as a layer asserting its geometry refuses a case.
Non-goal: deciding which cases to draw (that is `gradlab.cases.strategies`).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from typing import Any

from gradlab.core.protocol import LayerCrash
from gradlab.kinds import Case

__all__ = ["CHANNELS_LAST_SPEC", "CaseRefused", "one_filter_size", "refuse_other_kernels"]

#: the spec key that marks a case whose arrays are laid out channels last, as the layer takes them
CHANNELS_LAST_SPEC = "channels_last"


class CaseRefused(LayerCrash):
    """The case cannot be given to the layer as it is built; `reason` completes "it ..." in the report's note."""

    def __init__(self, call: str, reason: str):
        super().__init__(call, reason)
        self.reason = reason


def refuse_other_kernels(name: str, argument: str, case: Case, *, built: str = "is built from") -> None:
    """Raises CaseRefused when the case's filters W (F, C, HH, WW) are not square, for a layer whose constructor
    takes one kernel size (`argument`), or whose code reads one (`built="reads"`)."""
    weights = case.params.get("W")
    # a case handed to a layer written for channels last holds its filters (kh, kw, C, F) (`conventions.channels_last`)
    kh, kw = (0, 1) if case.spec.get(CHANNELS_LAST_SPEC) else (2, 3)
    if weights is not None and weights.ndim == 4 and weights.shape[kh] != weights.shape[kw]:
        # one reason for every such case, so that the report's note says it once
        raise CaseRefused(f"{name}(...)", f"{built} one {argument}, so it takes square filters only")


#: how a layer's code names its filters, when it unpacks their shape
_FILTER_NAMES = ("w", "weight", "weights", "kernel", "kernels", "filter", "filters")


def one_filter_size(cls: Any) -> bool:
    """Whether the class's forward or backward unpacks its filters' shape into one kernel size: the fourth size
    thrown away (`F, C, k, _ = self.W.shape`) or given the third's name (`F, C, k, k = W.shape`)."""
    for method in (getattr(cls, "forward", None), getattr(cls, "backward", None)):
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(method)))  # type: ignore[arg-type]
        except (OSError, TypeError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Tuple)
                    and len(node.targets[0].elts) == 4 and isinstance(node.value, ast.Attribute)
                    and node.value.attr == "shape"):
                continue
            owner = node.value.value
            name = (owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")).lower().lstrip("_")
            third, fourth = (getattr(e, "id", None) for e in node.targets[0].elts[2:])
            # a third size thrown away too reads none: Keras' kernel (kh, kw, C_in, C_out) as `kh, kw, _, _`
            if name in _FILTER_NAMES and fourth is not None and third not in (None, "_") and \
                    (fourth == "_" or fourth == third):
                return True
    return False
