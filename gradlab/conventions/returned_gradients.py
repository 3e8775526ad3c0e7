"""Parameter gradients a class-style backward returns instead of storing: `backward(dout) -> (dx, dW, db)`.

A learners' style (a `Linear` whose model collects `d, dW_fc, db_fc = self.fc.backward(d)` and applies its own
step) keeps no dW on the object: the gradients are backward's return values after dx, in the order of the
layer's parameters, which is the kind's order (W, then b), as CS231n's function style returns them.
Non-goal: deciding whether a gradient is right (that is `gradlab.core.check`).
"""

from __future__ import annotations

from typing import Any

from gradlab.conventions.class_slots import PARAM_ALIASES
from gradlab.core.protocol import LayerCrash

__all__ = ["split_returned"]


def split_returned(result: Any, params: list[str], what: str) -> tuple[Any, dict[str, Any]]:
    """(dx, {parameter: gradient}) from a backward's `(dx, dW, db)`; `result` itself and {} when it is not such a
    tuple (one value, or a layer without parameters, whose tuple is left for the caller to refuse)."""
    if not isinstance(result, (tuple, list)) or not params or len(result) < 2:
        return result, {}
    if len(result) == 2 and isinstance(result[1], dict):
        # `return dx, {'gamma': dgamma, 'beta': dbeta}`: the gradients by name (a numpy transformer's layers)
        return result[0], _by_name(result[1], params, what)
    if len(result) != 1 + len(params):
        raise LayerCrash(what, f"returned {len(result)} values; a backward returning its parameters' gradients "
                         f"returns (dx, {', '.join('d' + p for p in params)})")
    return result[0], dict(zip(params, result[1:]))


def _by_name(grads: dict[Any, Any], params: list[str], what: str) -> dict[str, Any]:
    """{parameter: gradient} from a dict keyed by each parameter's name as the layer spells it or its gradient's
    (`'W'`, `'weight'`, `'dW'`, `'grad_W'`, `'W_grad'`), case aside. Raises LayerCrash naming a parameter none of the
    keys stands for."""
    def bare(key: Any) -> str:
        name = str(key).lower()
        for prefix in ("grad_", "d_", "dl_d", "dld"):
            name = name.removeprefix(prefix)
        return name.removesuffix("_grad").removesuffix("_gradient")

    found: dict[str, Any] = {}
    for canonical in params:
        names = {a.lower() for a in (canonical, *PARAM_ALIASES.get(canonical, ()))}
        key = next((k for k in grads if bare(k) in names), None) or \
            next((k for k in grads if str(k)[:1] == "d" and bare(str(k)[1:]) in names), None)
        if key is None:
            raise LayerCrash(what, f"returned its gradients as a dict with keys {sorted(map(str, grads))}, none of "
                             f"them for parameter {canonical!r}")
        found[canonical] = grads[key]
    return found
