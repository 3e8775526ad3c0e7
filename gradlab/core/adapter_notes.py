"""What an adapter read from the gradients a layer gave back during backward (`Layer.shape_notes`: tuples of code,
severity, message and the gradient's name), and when the check reports each.

A gradient's shape (`conventions.gradient_shapes`) is reported at once. A gradient array the layer replaced where it
had to write into it (`conventions.grads_in_place`, code `zero-gradient`) waits for the values: where any
gradient's values are wrong, they are the bug to show first (one bug at a time: the next check, on the fixed
values, judges the arrays); where all are right, the replaced array is the bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["notes_after_values", "notes_now"]

#: the code of a note that waits for the values
_WAITS = "zero-gradient"


def notes_now(layer: Any, waiting: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str, str]]:
    """The notes reported as soon as backward returns; those that wait are added to `waiting` (the check's own
    list: later backward calls, for precision or diagnosis, read the gradients afresh and say nothing of them)."""
    notes = list(getattr(layer, "shape_notes", ()))
    waiting += [n for n in notes if n[0] == _WAITS and n not in waiting]
    return [n for n in notes if n[0] != _WAITS]


def notes_after_values(waiting: list[tuple[str, str, str, str]],
                       gradients: Iterable[Any]) -> list[tuple[str, str, str, str]]:
    """The waiting notes, when every gradient's values passed (`gradients`: the check's GradientResults)."""
    return [] if any(not g.passed for g in gradients) else list(waiting)
