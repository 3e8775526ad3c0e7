"""What a gradient of its parameter's size but another shape means: a bias kept as (M, 1) or (1, M) whose
gradient comes back as (M,) (a sum without `keepdims=True`).

gradlab compares the values in its own shape either way; the shape itself is judged by what the update the
course writes, `b -= lr * db` (or `b = b - lr * db`), would do to the parameter:
- the update keeps the parameter's shape ((1, M) minus (M,) is (1, M)): a warning, the layer still trains;
- the update would change it ((M, 1) minus (M,) broadcasts to (M, M), deeplearning.ai's classic slip, which that
  course guards with `assert db.shape == b.shape`): `wrong-shape`, a failure, as DESIGN.md's vocabulary says.
Non-goal: shapes of another size (the checker's value comparison reports those).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradlab.core.kind import Kind
from gradlab.core.results import FAIL, WARN

__all__ = ["ShapeNote", "hidden_shape_notes", "stored_shape_note"]


class ShapeNote(NamedTuple):
    """A finding an adapter read from the gradients it was given back during backward, their shapes or the arrays
    themselves (`Layer.shape_notes`)."""

    code: str
    severity: str
    message: str
    gradient: str


def stored_shape_note(grad: str, param: str, have: tuple[int, ...], got: tuple[int, ...], *,
                      transposes_seen: bool = True) -> ShapeNote | None:
    """The note for gradient `grad` of shape `got` where its parameter `param` has shape `have` (same size), or
    None when the shapes agree. `transposes_seen`: the value comparison sees a transposed matrix as such (its
    values move), so none is noted; a row for a column holds its values in the same order, and an adapter
    reshaping it to gradlab's (M,) hides it (False there)."""
    # one element says nothing of which axis was kept: the cases of other sizes say it
    if tuple(have) == tuple(got) or int(np.prod(have)) != int(np.prod(got)) or int(np.prod(have)) == 1:
        return None
    if len(have) == 2 and tuple(got) == tuple(have)[::-1] and (transposes_seen or 1 not in have):
        return None  # a transpose: the value comparison names it
    try:
        updated = np.broadcast_shapes(have, got)
    except ValueError:
        updated = None
    keep = _keepdims_hint(have, got)
    if updated == tuple(have):
        # in symbols: one warning for every case drawn, not one per size
        shown_got, shown_have = _symbolic(got, have)
        return ShapeNote("wrong-shape", WARN, (
            f"{grad} has shape {shown_got} where {param} has {shown_have}: an update {param} -= lr * {grad} keeps "
            f"its shape, but a gradient should have its parameter's shape{keep}"), grad)
    after = f" would make {param} {updated}" if updated is not None else " cannot be applied"
    return ShapeNote("wrong-shape", FAIL, (
        f"{grad} has shape {tuple(got)} where {param} has {tuple(have)}: the update {param} = {param} - lr * {grad}"
        f"{after}; give {grad} its parameter's shape{keep}"), grad)


def hidden_shape_notes(grad: str, param: str, have: tuple[int, ...], returned: np.ndarray, mapped: np.ndarray,
                       ours: np.ndarray, kind: Kind) -> list[ShapeNote]:
    """The note for a gradient `returned` in a shape an adapter's reshape hid from the value comparison (`mapped`, in
    gradlab's shape `ours`: a (1, M) bias's gradient returned as (M,)); none where the comparison still sees the shape
    (it is diagnosed there) or where the kind takes that shape as the same (`Kind.gradient_shapes`)."""
    note = stored_shape_note(grad, param, have, returned.shape, transposes_seen=False)
    if note is None or mapped.shape != ours.shape or \
            kind.as_param_shape(ours, returned, update_law=False) is not returned:
        return []
    return [note]


def _keepdims_hint(have: tuple[int, ...], got: tuple[int, ...]) -> str:
    """`(sum with keepdims=True)` where the parameter only has kept axes of length 1 the gradient lacks."""
    if len(have) > len(got) and [d for d in have if d != 1] == [d for d in got if d != 1]:
        if have[0] == 1:  # the batch axis in front, kept: (1, M), (1, C, 1, 1)
            return " (sum with keepdims=True, or reshape it to the parameter's shape)"
        # a column (M, 1): keepdims=True gives it only to a sum over axis 1 (samples as columns); rows summed over
        # axis 0 and kept give (1, M), whose update broadcasts too
        return f" (reshape it to {tuple(have)}; keepdims=True gives it only to a sum over the axis it keeps as 1)"
    return f" (reshape it to {tuple(have)})"


def _symbolic(got: tuple[int, ...], have: tuple[int, ...]) -> tuple[str, str]:
    """Both shapes with their sizes other than 1 written M, K, L in the order `have` holds them: (M,), (1, M)."""
    letters = iter("MKLPQ")
    names: dict[int, str] = {}
    for d in have:
        if d != 1 and d not in names:
            names[d] = next(letters, str(d))

    def show(shape: tuple[int, ...]) -> str:
        parts = [names.get(d, str(d)) if d != 1 else "1" for d in shape]
        return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"
    return show(got), show(have)
