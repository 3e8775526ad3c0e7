"""Loss names two kinds go by, told apart by what the layer accepts.

A `HingeLoss` class is the multiclass SVM loss in some courses (scores (N, C), class indices) and the binary hinge in
others (one score per sample, labels -1 or +1); a `hinge_loss(x, y)` function too. The name cannot say which; the
layer's forward can: it is run once on each kind's probe cases, and the kind all of whose label encodings it takes
(any one, for a kind whose further encodings are a fallback) is the one it is checked as, when it is the only such
kind. Otherwise the name's first kind stands, as before there were two. The kind found is the report's `kind`.
A `focal_loss` function or `FocalLoss` class is the focal loss over classes or the binary one on 0/1 targets shaped
like the logits (`binary_focal_loss`, which goes by the first kind's names through its module's ALSO_NAMED): the
function style hands a loss class indices, which a binary one breaks on, so its probe tells them apart too.
Non-goal: judging the layer (a crash here only means "not this kind"; the check shows any crash of the kind chosen).
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np

from gradlab.conventions.registry import Entry
from gradlab.kinds import KINDS, MODULES, Kind, normalise_class_name

__all__ = ["kind_it_takes", "namesakes"]

#: the probe's batch: no size of any namesake's probe shapes, so that no wrong shape broadcasts by accident
_PROBE_N = 3


def namesakes(name: str, kind: Kind) -> list[Kind]:
    """The loss kinds that go by `name` (a class name or a loss function's, either spelling: `HingeLoss` is one kind's
    class and `hinge_loss` another's function), `kind` among them, when more than one does; else []."""
    key = normalise_class_name(name)
    found = [k for k in KINDS.values() if k.is_loss and key in _names(k)]
    return found if kind in found and len(found) > 1 else []


def _names(kind: Kind) -> set[str]:
    """A loss kind's names, normalised: its classes', its functions', and those it shares with another kind and so
    cannot own (a kind module's ALSO_NAMED: a binary focal loss goes by the focal loss's own names)."""
    also = next((getattr(m, "ALSO_NAMED", ()) for m in MODULES if m.KIND is kind), ())
    return {*kind.class_names, *(normalise_class_name(f) for f in (*kind.loss_functions, *also))}


def kind_it_takes(entry: Entry, kind: Kind) -> Kind:
    """`kind`, or the one namesake of it (`namesakes`) whose cases alone the layer of `entry` runs on."""
    others = namesakes(entry.name, kind)
    taking = [k for k in others if _takes(entry, k)]
    return taking[0] if len(taking) == 1 else kind


def _takes(entry: Entry, kind: Kind) -> bool:
    encodings = kind.label_encodings or (None,)
    runs = [_runs(replace(entry, kind=kind.name), kind, e) for e in encodings]
    return any(runs) if kind.label_fallback_only else all(runs)


def _runs(entry: Entry, kind: Kind, encoding: str | None) -> bool:
    from gradlab.conventions.adapters import adapt

    spec: dict[str, Any] = {"N": _PROBE_N, **kind.batch_spec(entry.convention), "seed": 0}
    if encoding is not None:
        spec["labels"] = encoding
    case = kind.case(spec)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            layer = adapt(entry, kind, case)
            loss = layer.forward(case.x.copy(), None if case.t is None else case.t.copy())
            dx, _ = layer.backward(np.array(1.0))
        except Exception:  # noqa: BLE001 - any error means the layer is not written for this kind's arrays
            return False
    return loss is not None and dx is not None and np.shape(dx) == case.x.shape

