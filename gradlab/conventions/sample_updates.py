"""Whether a layer's own update method takes the gradients of one sample only: the mark of a layer written for
networks that loop over samples.

A from-scratch `FullyConnectedLayer` keeps its bias as (1, M) and its `backward` sets `self.dbias = output_error`;
its `update(learning_rate)` then subtracts that in place, `self.bias -= learning_rate * self.dbias`. Given one row
it is right. Given a batch its gradient keeps the batch axis, which gradlab reads as wrong-reduction, and its own
update raises (numpy cannot write (N, M) into (1, M) in place): the layer's code says it takes one sample at a time,
where the same `db = dout` in a layer without such an update is the bug a batch shows.
Non-goal: checking the update itself (an optimizer's business, not the backward's).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from gradlab.conventions.adapters import adapt
from gradlab.conventions.calling import signature
from gradlab.conventions.registry import Entry
from gradlab.conventions.update_methods import UPDATE_METHODS
from gradlab.kinds import Kind, build_case

__all__ = ["updates_one_sample_only"]



def _refuses(entry: Entry, kind: Kind, n: int) -> bool | None:
    """Whether the layer's update raised after a forward and backward on a batch of `n`; None where there is no
    update method to call, or the forward or backward raised first."""
    case = build_case(kind, {"N": n, **kind.batch_spec(entry.convention), "seed": 0, "scale": 1.0})
    try:
        layer = adapt(entry, kind, case)
        out = layer.forward(case.x.copy(), None if case.t is None else case.t.copy())
        layer.backward(np.ones_like(np.asarray(out, dtype=float)))
    except Exception:  # noqa: BLE001 - not this convention's question
        return None
    obj: Any = getattr(layer, "obj", None)
    update = next((getattr(obj, m) for m in UPDATE_METHODS if callable(getattr(obj, m, None))), None)
    if update is None:
        return None
    try:
        required = [p for p in signature(update).parameters.values()
                    if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        return None
    if len(required) > 1:
        return None
    try:
        update(*([1e-3] if required else []))
    except ValueError:
        return True
    except Exception:  # noqa: BLE001 - an update that fails for another reason says nothing of batches
        return None
    return False


def updates_one_sample_only(entry: Entry, kind: Kind) -> bool:
    """Whether the layer's own update method raises on a batch's gradients and takes one sample's."""
    if entry.convention != "class":
        return False
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return _refuses(entry, kind, 3) is True and _refuses(entry, kind, 1) is False

