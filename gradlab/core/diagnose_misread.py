"""Diagnosis of a gradient computed with the wrong one of the arrays the forward kept, whatever the kind.

`gradlab.core.diagnose_where.wrong_input` asks the questions a kind's formula makes possible (the derivative at
the output where the input belongs); this asks the one every layer can answer: with one stored array's values
replaced by another's after the forward, does backward return the true gradient (`gradlab.core.stored_arrays`)?
Then the backward reads the first where the second belongs: `wrong-input`, said in the user's names.
"""

from __future__ import annotations

import numpy as np

from gradlab.core.diagnose_where import Found, agrees, norm
from gradlab.core.evidence import Evidence
from gradlab.core.stored_arrays import with_each_stored_array_misread

__all__ = ["stored_array_misread"]


def stored_array_misread(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name` is computed with one array the forward stored where another belongs (`dx = self.x - t` where the
    softmax's output `self.y` belongs; `dgamma` from the centred x where the normalised one belongs)."""
    if ev is None or a.shape != n.shape:
        return None
    error = norm(a - n)
    for m in with_each_stored_array_misread(ev):
        if agrees(m.gradient, n, error):  # it must account for the error itself, as every hypothesis must
            return Found("wrong-input", f"{name} reads {m.read} where {m.belongs} belongs: with {m.read}'s values "
                         f"replaced by {m.belongs}'s after the forward, backward returns the true {name} (a derivative "
                         "evaluated at the wrong one of the arrays the forward kept)")
    return None
