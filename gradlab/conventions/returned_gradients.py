"""Parameter gradients a class-style backward returns instead of storing: `backward(dout) -> (dx, dW, db)`.

A learners' style (a `Linear` whose model collects `d, dW_fc, db_fc = self.fc.backward(d)` and applies its own
step) keeps no dW on the object: the gradients are backward's return values after dx, in the order of the
layer's parameters, which is the kind's order (W, then b), as CS231n's function style returns them.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from typing import Any

from gradlab.core.protocol import LayerCrash

__all__ = ["split_returned"]


def split_returned(result: Any, params: list[str], what: str) -> tuple[Any, dict[str, Any]]:
    """(dx, {parameter: gradient}) from a backward's `(dx, dW, db)`; `result` itself and {} when it is not such a
    tuple (one value, or a layer without parameters, whose tuple is left for the caller to refuse)."""
    if not isinstance(result, (tuple, list)) or not params or len(result) < 2:
        return result, {}
    if len(result) != 1 + len(params):
        raise LayerCrash(what, f"returned {len(result)} values; a backward returning its parameters' gradients "
                         f"returns (dx, {', '.join('d' + p for p in params)})")
    return result[0], dict(zip(params, result[1:]))
